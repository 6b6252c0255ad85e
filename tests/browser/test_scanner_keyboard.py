"""Every scanner page driven as a keyboard-wedge scanner drives it (issue 16; S2.5-S2.9): typed
text and Enter, no mouse. Each wrong-kind scan (a location in the wave field, ``abc`` as a
plan, an order ref on the pack page, an unknown pallet, a misread barcode, an extra unit, a
location in another bay) is answered in red on the same page, and the scanner field has the
focus again, empty, ready for the next scan."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from peakguard.plan.service import current_plan
from peakguard.warehouse import inbound
from tests.browser.conftest import Server
from tests.browser.test_war_room import PHONE, log_in
from tests.factories import ADMIN
from tests.web_warehouse_setup import EAN, OTHER_EAN, Warehouse, build

# A function, not a bare expression: Playwright would eval() an expression in the page, which
# the pages' Content-Security-Policy (script-src 'self') rightly refuses.
READY = (
    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    " && document.activeElement && document.activeElement.matches('input[data-scan]')"
    " && document.activeElement.value === ''"
)
BAD_DIGIT = EAN[:-1] + str((int(EAN[-1]) + 1) % 10)


@pytest.fixture(scope="module")
def wh(server: Server) -> Warehouse:
    with server.db.transaction() as s:
        return build(s, server.clock.now(), current_plan())


def _answer(page) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    box = page.locator("#answer")
    if box.count() == 0:
        return "", ""
    kind = "right" if "right" in str(box.get_attribute("class")) else "wrong"
    return kind, box.inner_text()


def scan(page, code: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Type into the focused field and press Enter, as the scanner does; the answer once the
    page (an HTMX swap or, for a field that names the task, a new page) has it and the field is
    focused and empty again."""
    assert page.evaluate("document.activeElement.matches('input[data-scan]')"), "no scanner field has focus"
    with page.expect_response(lambda r: "/scan/" in r.url and r.request.resource_type in ("document", "xhr")):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.wait_for_function(READY)
    return _answer(page)


def _screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Refreshes docs/<name> for the README, only when asked (PEAKGUARD_SCREENSHOTS=docs)."""
    if os.environ.get("PEAKGUARD_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["PEAKGUARD_SCREENSHOTS"]) / name))


def _start(browser, server: Server, name: str, path: str):  # type: ignore[no-untyped-def]
    server.user(name, "warehouse")
    page = log_in(browser, server, name, PHONE)
    page.goto(server.url + path)
    page.wait_for_function(READY)
    return page


def test_receive_by_keyboard(browser, server, wh):
    page = _start(browser, server, "kb-receive", "/scan/receive")
    assert scan(page, "abc") == ("wrong", "不是入库计划号：abc")
    assert scan(page, "999") == ("wrong", "入库计划 999 不存在")
    assert scan(page, str(wh.inbound_plan)) == ("", "")
    assert page.locator("h1").inner_text() == f"收货 · 入库计划 {wh.inbound_plan}"
    assert scan(page, BAD_DIGIT) == ("wrong", f"校验位错误：{BAD_DIGIT}，请重新扫描。")
    assert scan(page, "A-01-1") == ("wrong", "A-01-1 不在此入库计划中")
    for n in range(1, 5):
        assert scan(page, OTHER_EAN) == ("right", f"✓ MUG：已收 {n} / 4")
    kind, text = scan(page, OTHER_EAN)
    assert kind == "wrong" and text.startswith("超收：MUG 计划 4 件")
    _screenshot(page, "receive.png")
    page.close()


def test_putaway_by_keyboard(browser, server, wh):
    now = server.clock.now()
    with server.db.transaction() as s:
        got = inbound.create_plan(s, ADMIN, now, client_id=wh.shop_a, lines=[inbound.PlanLineIn("MUG", 2)])
        inbound.receive(s, ADMIN, now, plan_id=got.id, barcode=OTHER_EAN, quantity=2)
        pallet = inbound.palletize(s, ADMIN, now, client_id=wh.shop_a, items=[inbound.PalletItem("MUG", 2)])
        code = pallet.code
    page = _start(browser, server, "kb-putaway", "/scan/putaway")
    assert scan(page, "A-01-1") == ("wrong", "不是托盘标签：A-01-1")
    assert scan(page, "LP0000009999") == ("wrong", "没有托盘 LP0000009999")
    scan(page, code)
    suggested = page.locator(".where").inner_text()
    assert suggested.startswith("A-01")
    assert scan(page, "S-01-1") == ("wrong", "该客户使用专属库区：货物只能放在自己的库区")
    _screenshot(page, "putaway.png")
    other = "A-01-1" if suggested == "A-01-2" else "A-01-2"
    assert scan(page, other) == ("wrong", f"不是建议库位：扫到 {other}，请送到 {suggested}")
    assert page.locator("#override").count() == 0  # an operator is not offered the override
    assert scan(page, "Z-9") == ("wrong", "未知库位：Z-9")
    assert scan(page, suggested) == ("right", f"✓ {code} 已上架到 {suggested}")
    page.close()


def test_pick_and_pack_by_keyboard(browser, server, wh):
    server.user("kb-pick", "warehouse")
    page = log_in(browser, server, "kb-pick", PHONE)  # lands on /scan
    assert page.locator(f'a[href="/scan/pick?wave={wh.wave}"]').count() == 1  # the open work, listed
    _screenshot(page, "scan-menu.png")
    page.goto(server.url + "/scan/pick")
    page.wait_for_function(READY)
    assert scan(page, "A-01-1") == ("wrong", "不是波次号：A-01-1")
    assert scan(page, "99") == ("wrong", "波次 99 不存在")
    scan(page, str(wh.wave))
    assert page.locator(".where").inner_text() == "A-01-1"
    assert "保温杯" in page.locator("#task").inner_text()
    assert scan(page, "S-01-1") == ("wrong", "库位错误：扫到 S-01-1，请到 A-01-1")
    assert scan(page, "A-01-1")[0] == "right"
    assert scan(page, BAD_DIGIT) == ("wrong", f"校验位错误：{BAD_DIGIT}，请重新扫描。")
    for picked in (1, 2):
        assert scan(page, EAN) == ("right", f"✓ CUP：已拣 {picked} / 3")
    assert scan(page, EAN) == ("right", "✓ CUP：已拣 3 / 3")
    assert page.locator(".answer.right").nth(1).inner_text().startswith(f"波次 {wh.wave} 已拣完")

    page.goto(server.url + "/scan/pack")
    page.wait_for_function(READY)
    assert scan(page, "SHOP-A-1001") == ("wrong", "没有订单 SHOP-A-1001。请扫描订单号或订单编号。")
    assert scan(page, "A-01-1") == ("wrong", "没有订单 A-01-1。请扫描订单号或订单编号。")
    scan(page, "T-1001")
    assert page.locator("h1").inner_text() == "打包 · T-1001"
    assert "保温杯" in page.locator(".scan-task").inner_text()
    assert scan(page, "abc")[0] == "wrong"
    kind, text = scan(page, "1.2")
    assert kind == "right" and text.startswith("✓ 已打包：顺丰速运 SF"), text
    page.close()


def test_the_language_switch_keeps_the_wave(browser, server, wh):
    page = _start(browser, server, "kb-lang", f"/scan/pick?wave={wh.wave}")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/scan/pick?wave={wh.wave}")
    assert page.locator("h1").inner_text().startswith("Pick · Wave")
    page.close()
