"""Warehouse pages in a real browser (issue 5, S2.8, S2.9): a keyboard-wedge scanner types into
the focused field and presses Enter; the pick page answers at once, red with the reason for a
wrong barcode and green for the right one, and keeps the field focused for the next scan. A
client cannot open another client's stock page. Phone and desktop widths fit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from peakguard.plan.service import current_plan
from tests.browser.conftest import Server
from tests.browser.test_war_room import DESKTOP, PHONE, log_in, overflow
from tests.web_warehouse_setup import EAN, OTHER_EAN, Warehouse, build


@pytest.fixture(scope="module")
def wh(server: Server) -> Warehouse:
    with server.db.transaction() as s:
        return build(s, server.clock.now(), current_plan())


def scan(page, code: str) -> str:  # type: ignore[no-untyped-def]
    """Type like a scanner into the focused field, press Enter, return the answer's class once
    the page has swapped it in and focused the field again."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/scan/" in r.url):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    # A function, not a bare expression: Playwright would eval() an expression in the page,
    # which the pages' Content-Security-Policy (script-src 'self') rightly refuses.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
        " && document.activeElement && document.activeElement.matches('input[data-scan]')"
        " && document.activeElement.value === ''"
    )
    return str(page.locator("#answer").get_attribute("class"))


def test_pick_a_wrong_then_a_right_barcode(browser, server, wh):
    server.user("picker", "warehouse")
    page = log_in(browser, server, "picker", PHONE)
    assert page.url.endswith("/scan")
    page.goto(f"{server.url}/scan/pick?wave={wh.wave}")
    assert page.locator(".where").inner_text() == "A-01-1"
    assert "right" in scan(page, "A-01-1")
    assert page.locator("#prompt").inner_text().startswith("请扫描商品")
    assert "wrong" in scan(page, OTHER_EAN)
    assert page.locator("#answer").inner_text().startswith(f"商品错误：扫到 {OTHER_EAN}")
    if os.environ.get("PEAKGUARD_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["PEAKGUARD_SCREENSHOTS"]) / "pick.png"))
    assert "right" in scan(page, EAN)
    assert page.locator("#answer").inner_text() == "✓ CUP：已拣 1 / 3"
    assert page.locator("#task").inner_text().count("已拣 1 / 3") == 1
    assert overflow(page) <= 0
    page.close()


def test_a_client_cannot_open_another_clients_stock(browser, server, wh):
    server.user("shop-a-user", "client", client_id=wh.shop_a)
    page = log_in(browser, server, "shop-a-user", PHONE)
    assert page.url.endswith(f"/portal/{wh.shop_a}/stock")
    assert page.locator('tr[data-sku="CUP"]').count() == 1
    response = page.goto(f"{server.url}/portal/{wh.shop_b}/stock")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "未找到" and "TEA" not in page.content()
    page.close()


SCANNER_PAGES = [
    "/scan",
    "/scan/pick?wave={wave}",
    "/scan/receive?plan={plan}",
    "/scan/putaway",
    "/scan/pack?order={order}",
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_warehouse_pages_fit_the_screen(browser, server, wh, viewport):
    name = f"wh-admin-{viewport['width']}"
    server.user(name, "admin")
    page = log_in(browser, server, name, viewport)
    paths = [p.format(wave=wh.wave, plan=wh.inbound_plan, order=wh.order) for p in SCANNER_PAGES] + [
        f"/portal/{wh.shop_a}/{tab}" for tab in ("stock", "orders", "invoices")
    ]
    for path in paths:
        response = page.goto(server.url + path)
        assert response is not None and response.status == 200, path
        assert overflow(page) <= 0, f"{path} is {overflow(page)} px too wide at {viewport['width']} px"
    page.close()
