"""The coupon compensation register on the web (S1.5): orders the detector put there and one
added by hand, compensation agreed and paid from the page, totals at a glance, bad amounts named
and nothing changed, and a viewer sees the register without forms."""

from __future__ import annotations

from decimal import Decimal

from peakguard.compensation import service
from peakguard.incidents import reporting
from tests.factories import ADMIN, login, make_user


def detected(db, clock) -> list[int]:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        incident = reporting.report(s, ADMIN, clock.now(), kind="coupon_failure", area="shop-1").incident
        return [
            e.id
            for e in service.register_affected(
                s, ADMIN, clock.now(), ["T-1", "T-2"], amounts={}, incident_id=incident.id
            )
        ]


def test_a_member_works_the_register_from_the_page(client, db, clock):
    first, _second = detected(db, clock)
    token = login(client, make_user(db, clock, "member"))
    page = client.get("/compensation").text
    assert (
        "优惠券补偿登记" in page
        and "自动检测 #" in page
        and page.count('class="tag compensation registered"') == 2
    )

    client.post(
        "/compensation", data={"csrf_token": token, "order_id": "T-9", "shop": "shop-1", "order_amount": "88"}
    )
    client.post(
        f"/compensation/{first}/terms", data={"csrf_token": token, "method": "cash_back", "amount": "5"}
    )
    client.post(f"/compensation/{first}/paid", data={"csrf_token": token})

    with db.transaction() as s:
        entries = {e.order_id: e for e in service.entries(s)}
    assert set(entries) == {"T-1", "T-2", "T-9"}
    assert entries["T-9"].source == "manual" and entries["T-9"].order_amount == Decimal("88.00")
    assert entries["T-1"].status == "paid" and entries["T-1"].amount == Decimal("5.00")
    page = client.get("/compensation").text
    assert "1 / 3" in page and "¥5.00" in page and "返现" in page and "手工登记" in page
    assert client.get("/compensation?status=paid").text.count('class="tag compensation paid"') == 1
    assert client.get("/api/v1/compensation/export.csv").text.startswith("\ufefforder_id,shop")  # BOM for Excel


def test_a_bad_amount_is_named_and_changes_nothing(client, db, clock):
    first, _ = detected(db, clock)
    token = login(client, make_user(db, clock, "member"))
    r = client.post(
        f"/compensation/{first}/terms", data={"csrf_token": token, "method": "cash_back", "amount": "abc"}
    )
    assert r.status_code == 200 and "amount" in r.text
    r = client.post(
        "/compensation", data={"csrf_token": token, "order_id": "T-9", "shop": "s", "order_amount": "-1"}
    )
    assert "order_amount" in r.text
    with db.transaction() as s:
        assert [e.order_id for e in service.entries(s)] == ["T-1", "T-2"]
        assert service.get(s, first).method is None


def test_a_viewer_sees_the_register_without_forms(client, db, clock):
    detected(db, clock)
    login(client, make_user(db, clock, "viewer"))
    page = client.get("/compensation").text
    assert "T-1" in page and "/terms" not in page and "手工登记受影响订单" not in page


def test_the_register_from_the_cli(db_url, tmp_path):
    from tests.test_cli import run

    run(db_url, "compensation", "add", "T-7", "--shop", "shop-1", "--amount", "30")
    bad = run(db_url, "compensation", "add", "T-8", "--shop", "shop-1", "--amount", "lots", check=False)
    assert bad.returncode == 2 and "amount" in bad.stderr
    bad = run(db_url, "compensation", "terms", "1", "--method", "cash_back", "--amount", "31", check=False)
    assert bad.returncode == 2 and "more than the order" in bad.stderr
    run(db_url, "compensation", "terms", "1", "--method", "price_cut", "--amount", "3")
    run(db_url, "compensation", "paid", "1")
    assert "paid" in run(db_url, "compensation", "list").stdout
    out = tmp_path / "register.csv"
    run(db_url, "compensation", "export", "--out", str(out))
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("T-7,shop-1,30.00,price_cut,3.00,paid,manual")
