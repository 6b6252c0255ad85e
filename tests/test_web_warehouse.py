"""Scanner pages (S2.5, S2.9) and the client portal (S2.8) over HTTP: each scan is answered at
once, green for right and red with the reason for wrong, a wrong scan moves nothing; a client
sees only its own stock, orders and invoices, and another client's pages are 404."""

from __future__ import annotations

import re

import pytest

from peakguard.warehouse import billing, inbound, stock
from tests.factories import ADMIN, login, make_user
from tests.web_warehouse_setup import EAN, OTHER_EAN, build

HX = {"HX-Request": "true"}


@pytest.fixture
def wh(db, clock, plan):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return build(s, clock.now(), plan)


def answer(html: str) -> tuple[str, str]:
    match = re.search(r'<div class="answer (right|wrong)" id="answer" role="alert">([^<]*)</div>', html)
    assert match, html
    return match.group(1), match.group(2)


def on_hand(db, client_id: int) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return stock.totals(s, ADMIN, client_id)


def at_location(db, client_id: int, location: str) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return sum(r.on_hand for r in stock.query(s, ADMIN, client_id) if r.location == location)


def test_pick_wrong_location_wrong_item_then_right(client, db, clock, wh):
    """S2.9: location first, then item; each wrong scan says why and moves nothing."""
    token = login(client, make_user(db, clock, "warehouse"))
    page = client.get(f"/scan/pick?wave={wh.wave}").text
    assert "A-01-1" in page and "请扫描库位" in page
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    post = {"csrf_token": token, "task_id": task_id}
    kind, text = answer(
        client.post(f"/scan/pick/{wh.wave}", data={**post, "code": "S-01-1"}, headers=HX).text
    )
    assert kind == "wrong" and text == "库位错误：扫到 S-01-1，请到 A-01-1"
    r = client.post(f"/scan/pick/{wh.wave}", data={**post, "code": "A-01-1"}, headers=HX)
    assert answer(r.text) == ("right", "库位 A-01-1 ✓ 请扫描商品") and "<html" not in r.text
    assert 'name="location" value="A-01-1"' in r.text
    located = {**post, "location": "A-01-1"}
    kind, text = answer(
        client.post(f"/scan/pick/{wh.wave}", data={**located, "code": OTHER_EAN}, headers=HX).text
    )
    assert kind == "wrong" and OTHER_EAN in text and "CUP" in text
    assert at_location(db, wh.shop_a, "A-01-1") == 10
    for picked in (1, 2):
        r = client.post(f"/scan/pick/{wh.wave}", data={**located, "code": EAN}, headers=HX)
        assert answer(r.text) == ("right", f"✓ CUP：已拣 {picked} / 3")
    r = client.post(f"/scan/pick/{wh.wave}", data={**located, "code": EAN}, headers=HX)
    assert answer(r.text) == ("right", "✓ CUP：已拣 3 / 3") and "已拣完" in r.text
    assert at_location(db, wh.shop_a, "A-01-1") == 7


def test_pick_without_javascript_gets_the_whole_page(client, db, clock, wh):
    token = login(client, make_user(db, clock, "warehouse"))
    page = client.get(f"/scan/pick?wave={wh.wave}").text
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    r = client.post(f"/scan/pick/{wh.wave}", data={"csrf_token": token, "task_id": task_id, "code": "X"})
    assert "<html" in r.text and answer(r.text)[0] == "wrong"


def test_receive_counts_each_scan_and_refuses_a_stranger(client, db, clock, wh):
    """S2.5/S2.6: each scan receives one unit; an item not on the plan is refused; a QC failure
    needs its reason and is held apart."""
    token = login(client, make_user(db, clock, "warehouse"))
    page = client.get(f"/scan/receive?plan={wh.inbound_plan}").text
    assert "易碎" in page
    url = f"/scan/receive/{wh.inbound_plan}"
    kind, text = answer(client.post(url, data={"csrf_token": token, "code": EAN}, headers=HX).text)
    assert kind == "wrong" and text == f"{EAN} 不在此入库计划中"
    assert answer(client.post(url, data={"csrf_token": token, "code": OTHER_EAN}, headers=HX).text) == (
        "right",
        "✓ MUG：已收 1 / 4",
    )
    kind, _ = answer(
        client.post(url, data={"csrf_token": token, "code": OTHER_EAN, "qc": "fail"}, headers=HX).text
    )
    assert kind == "wrong"
    r = client.post(
        url, data={"csrf_token": token, "code": OTHER_EAN, "qc": "fail", "reason": "外箱破损"}, headers=HX
    )
    assert answer(r.text) == ("right", "✓ MUG：质检不合格，已隔离（外箱破损）")
    assert on_hand(db, wh.shop_a)["MUG"] == {"on_hand": 2, "reserved": 0, "available": 0, "held": 1}


def test_putaway_by_pallet_label(client, db, clock, wh):
    token = login(client, make_user(db, clock, "warehouse"))
    url = f"/scan/receive/{wh.inbound_plan}"
    client.post(url, data={"csrf_token": token, "code": OTHER_EAN}, headers=HX)
    with db.transaction() as s:
        pallet = inbound.palletize(
            s, ADMIN, clock.now(), client_id=wh.shop_a, items=[inbound.PalletItem("MUG", 1)]
        )
        code, pallet_id = pallet.code, pallet.id
    page = client.get(f"/scan/putaway?pallet={code}").text
    assert '<div class="where">A-01-2</div>' in page  # a free place in the client's own bay (S2.7)
    assert "不是托盘标签" in client.get("/scan/putaway?pallet=hello").text
    kind, _ = answer(
        client.post(f"/scan/putaway/{pallet_id}", data={"csrf_token": token, "code": "Z-9"}, headers=HX).text
    )
    assert kind == "wrong"
    r = client.post(f"/scan/putaway/{pallet_id}", data={"csrf_token": token, "code": "A-01-2"}, headers=HX)
    assert answer(r.text) == ("right", f"✓ {code} 已上架到 A-01-2")
    assert at_location(db, wh.shop_a, "A-01-2") == 1


def test_pack_a_picked_order(client, db, clock, wh):
    token = login(client, make_user(db, clock, "warehouse"))
    r = client.post(f"/scan/pack/{wh.order}", data={"csrf_token": token, "weight_kg": "1.2"}, headers=HX)
    assert answer(r.text)[0] == "wrong"  # not picked yet
    page = client.get(f"/scan/pick?wave={wh.wave}").text
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    for _ in range(3):
        client.post(
            f"/scan/pick/{wh.wave}",
            data={"csrf_token": token, "task_id": task_id, "location": "A-01-1", "code": EAN},
            headers=HX,
        )
    assert "T-1001" in client.get(f"/scan/pack?order={wh.order}").text
    r = client.post(f"/scan/pack/{wh.order}", data={"csrf_token": token, "weight_kg": "abc"}, headers=HX)
    assert answer(r.text)[0] == "wrong"
    packed = client.post(
        f"/scan/pack/{wh.order}", data={"csrf_token": token, "weight_kg": "1.2"}, headers=HX
    ).text
    kind, text = answer(packed)
    assert kind == "right" and text.startswith("✓ 已打包")
    link = f"/api/v1/warehouse/orders/{wh.order}/waybill?format=pdf"
    assert link in packed and "电子面单 PDF" in packed
    assert client.get(link).content.startswith(b"%PDF")


def test_scanner_pages_need_the_warehouse_permission(client, db, clock, wh):
    login(client, make_user(db, clock, "viewer"))
    assert client.get("/scan/pick").status_code == 403


def test_a_client_sees_its_own_stock_orders_and_invoices(client, db, clock, wh):
    login(client, make_user(db, clock, "client", client_id=wh.shop_a))
    r = client.get("/portal", follow_redirects=False)
    assert r.headers["location"] == f"/portal/{wh.shop_a}/stock"
    page = client.get(f"/portal/{wh.shop_a}/stock").text
    assert '<tr data-sku="CUP"><td>保温杯 <small>CUP</small></td><td>10</td><td>3</td><td><strong>7</strong></td>' in page  # the product's name (issue 16)
    assert "TEA" not in page and "店铺B" not in page
    assert "T-1001" in client.get(f"/portal/{wh.shop_a}/orders").text
    assert "暂无账单" in client.get(f"/portal/{wh.shop_a}/invoices").text
    assert f'hx-get="/portal/{wh.shop_a}/stock/live"' in page
    assert client.get("/war-room").status_code == 403


def test_a_client_downloads_its_invoice_as_pdf_and_csv(client, db, clock, plan, wh):
    """S2.1: the month's invoice from the portal, in the page language."""
    with db.transaction() as s:
        invoice = billing.issue_invoice(s, ADMIN, clock.now(), plan, client_id=wh.shop_a, month="2026-11")
        invoice_id = invoice.id
    login(client, make_user(db, clock, "client", client_id=wh.shop_a))
    page = client.get(f"/portal/{wh.shop_a}/invoices").text
    pdf = f"/api/v1/warehouse/invoices/{invoice_id}/export?format=pdf&amp;lang=zh_CN"
    assert pdf in page and "账单 PDF" in page
    assert client.get(pdf.replace("&amp;", "&")).content.startswith(b"%PDF")
    csv_text = client.get(f"/api/v1/warehouse/invoices/{invoice_id}/export?format=csv&lang=zh_CN").text
    # issue 16: Excel on a Chinese Windows needs the UTF-8 BOM; the kinds of charge read in Chinese
    assert csv_text.splitlines()[0] == "\ufeff收费项目,说明,数量,单价,金额"


@pytest.mark.parametrize("tab", ["stock", "orders", "invoices", "stock/live"])
def test_another_clients_pages_are_404(client, db, clock, wh, tab):
    """S2.3/S2.8: not 403, not the other shop's data: it does not exist for this client."""
    login(client, make_user(db, clock, "client", client_id=wh.shop_a))
    r = client.get(f"/portal/{wh.shop_b}/{tab}")
    assert r.status_code == 404 and "TEA" not in r.text and "店铺B" not in r.text


def test_the_war_room_shows_locations_in_use_per_bay(client, db, clock, wh):
    """S2.1/S2.7: one of the two locations of bay A holds stock, none of bay S; the note gives
    the leased share against the overflow threshold."""
    login(client, make_user(db, clock, "viewer"))
    chart = client.get("/war-room/live").text.split('id="chart-bays"')[1].split("</figure>")[0]
    assert "<title>A 有货库位：1/2 · 40.00 m²</title>" in chart
    assert "<title>S 有货库位：0/1 · 60.00 m²</title>" in chart
    assert "已出租全部库区面积的 0%；达到 90% 报爆仓" in chart


def test_no_bays_no_warehouse_chart(client, db, clock):
    login(client, make_user(db, clock, "viewer"))
    assert 'id="chart-bays"' not in client.get("/war-room/live").text


def test_invoice_lines_read_in_the_readers_language():
    """Issue 16: a zh_CN invoice said `storage`, `outbound order` and `lease 1: ... days`."""
    from decimal import Decimal

    from peakguard.warehouse.models import InvoiceLine

    lease = InvoiceLine(
        code="storage",
        description="lease 1: 30.00 m2 x 20 days (2026-11-11 - 2026-11-30)",
        quantity=Decimal("600.00"),
        unit_price=Decimal("2.5"),
        amount=Decimal("1500.00"),
    )
    fee = InvoiceLine(
        code="outbound_order",
        description="outbound order",
        quantity=Decimal(1),
        unit_price=Decimal(5),
        amount=Decimal(5),
    )
    assert billing.described("zh_CN", lease) == (
        "仓储费",
        "租约 1：30.00 平方米 × 20 天（2026-11-11 至 2026-11-30）",
    )
    assert billing.described("zh_CN", fee) == ("出库操作费（按单）", "出库操作费（按单）")
    assert billing.described("en", fee) == ("Outbound handling (per order)", "Outbound handling (per order)")
