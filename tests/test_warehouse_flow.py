"""The issue's "done means" (S2.1-S2.11): one client from lease to invoice, on SQLite and on
PostgreSQL, through the service functions the API and the scanner pages call."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from peakguard.audit.models import AuditEntry
from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.errors import InvalidInput
from peakguard.plan.schemas import Plan
from peakguard.warehouse import (
    billing,
    carriers,
    inbound,
    leases,
    outbound,
    picking,
    skus,
    stock,
)
from peakguard.warehouse.models import Order, StockBalance, StockMove
from tests.factories import ADMIN, EAN, OPERATOR, UPC, setup_warehouse


def test_one_client_from_lease_to_invoice(db: Database, clock: FrozenClock, plan: Plan) -> None:
    """S2.1 lease 30 m2, S2.5/S2.6 inbound of 3 SKUs (one gets a generated barcode) with one QC
    failure, palletize, putaway (S2.7), S2.9 order picked by scan, packed, labelled, S2.11 handed
    over, and the month's invoice shows the storage days, fees and total."""
    cid, shop = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        lease = leases.create_lease(
            s, ADMIN, now, plan, client_id=cid, area_m2="30", daily_rate="2.50", start=date(2026, 11, 11)
        )
        assert lease.area_m2 == Decimal("30")
        a = skus.create_sku(s, shop, now, client_id=cid, code="A", name="保温杯", barcode=EAN)
        b = skus.create_sku(s, shop, now, client_id=cid, code="B", name="Mug", barcode=UPC)
        c = skus.create_sku(s, shop, now, client_id=cid, code="C", name="无码商品")
        assert (a.barcode_kind, b.barcode_kind, c.barcode_kind) == ("ean13", "upca", "code128")
        assert c.barcode.startswith("PG")
        label = skus.sku_label(s, OPERATOR, now, plan, c.id)
        assert isinstance(label, bytes) and label.startswith(b"%PDF")
        plan_in = inbound.create_plan(
            s,
            shop,
            now,
            client_id=cid,
            notes="fragile",
            lines=[inbound.PlanLineIn("A", 10), inbound.PlanLineIn("B", 5), inbound.PlanLineIn("C", 8)],
        )
        plan_id, c_barcode = plan_in.id, c.barcode

    with db.transaction() as s:
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=10)
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=UPC, quantity=4)
        inbound.receive(
            s, OPERATOR, now, plan_id=plan_id, barcode=UPC, quantity=1, qc="fail", reason="crushed box"
        )
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=c_barcode, quantity=7)
        off = inbound.close_plan(s, OPERATOR, now, plan, plan_id)
        assert [(d.sku, d.difference) for d in off] == [("C", -1)]

    with db.transaction() as s:
        pallet = inbound.palletize(
            s,
            OPERATOR,
            now,
            client_id=cid,
            items=[inbound.PalletItem("A", 10), inbound.PalletItem("B", 4), inbound.PalletItem("C", 7)],
        )
        assert pallet.code.startswith("LP")
        suggested = inbound.suggest_location(s, OPERATOR, pallet.id)
        assert suggested.code == "A-01-1"  # the client's dedicated bay first (S2.7)
        inbound.putaway(s, OPERATOR, now, pallet_id=pallet.id, location_code=suggested.code)

    with db.transaction() as s:
        totals = stock.totals(s, shop)
        assert totals["A"] == {"on_hand": 10, "reserved": 0, "available": 10, "held": 0}
        assert totals["B"] == {"on_hand": 5, "reserved": 0, "available": 4, "held": 1}
        order = outbound.create_order(
            s,
            shop,
            now,
            plan,
            client_id=cid,
            ref="T-1001",
            carrier="sf",
            notes="gift wrap",
            lines=[outbound.OrderLineIn("A", 3), outbound.OrderLineIn("C", 2)],
        )
        order_id = order.id
    with db.transaction() as s:
        tasks = outbound.allocate(s, OPERATOR, now, order_id)
        assert sorted(t.quantity for t in tasks) == [2, 3]
        wave = outbound.create_wave(s, OPERATOR, now)
        wave_id = wave.id
    with db.transaction() as s:
        first = picking.next_task(s, wave_id)
        assert first is not None

    walk = []
    task = first
    while task is not None:
        with db.transaction() as s:
            result = picking.scan_confirm(
                s, OPERATOR, now, task.id, task.location, task.barcode, quantity=task.quantity
            )
            walk.append((result.task.sku, result.task.status))
            task = result.next_task
    assert sorted(walk) == [("A", "done"), ("C", "done")]
    assert result.order_picked

    with db.transaction() as s:
        package = picking.pack(s, OPERATOR, now, plan, order_id, weight_kg="1.250")
        assert package.tracking_no == "SF1000000000"
        waybill = carriers.waybill(s, shop, plan, order_id)
        assert isinstance(waybill, bytes) and waybill.startswith(b"%PDF")
        manifest = carriers.hand_over(s, OPERATOR, now, plan, "sf")
        assert manifest.day == date(2026, 11, 11)
        assert "SF1000000000" in carriers.manifest_csv(s, manifest.id)
        assert s.get(Order, order_id).status == "handed_over"  # type: ignore[union-attr]
        totals = stock.totals(s, shop)
        assert totals["A"]["on_hand"] == 7 and totals["C"]["on_hand"] == 5
        # The running balances equal the ledger recomputed from scratch.
        for bal in s.scalars(select(StockBalance)):
            assert bal.on_hand == stock.ledger_balance(s, bal.sku_id, bal.place)

    invoice_day = FrozenClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    with db.transaction() as s:
        invoice = billing.issue_invoice(s, ADMIN, invoice_day.now(), plan, client_id=cid, month="2026-11")
        lines = {ln.code: ln for ln in billing.invoice_lines(s, invoice)}
        assert lines["storage"].quantity == Decimal("600")  # 30 m2 x 20 days (11-30 Nov)
        assert "20 days" in lines["storage"].description
        assert lines["storage"].amount == Decimal("1500.00")
        assert lines["inbound_line"].amount == Decimal("9.00")  # 3 lines x 3.00
        assert lines["outbound_order"].amount == Decimal("5.00")
        assert lines["label"].quantity == Decimal("2")  # the generated SKU label and the waybill
        assert lines["label"].amount == Decimal("1.00")
        assert invoice.total == Decimal("1515.00")
        assert "1515.00" in billing.invoice_csv(s, invoice, "en")
        assert billing.invoice_pdf(s, invoice, "zh_CN").startswith(b"%PDF")
        assert (
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("warehouse.%"))
            )
            > 20
        )


def _snapshot(db: Database) -> tuple[int, int, list[tuple[int, int]]]:
    with db.transaction() as s:
        moves = s.scalar(select(func.count()).select_from(StockMove)) or 0
        audits = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
        balances = [
            (b.on_hand, b.reserved) for b in s.scalars(select(StockBalance).order_by(StockBalance.id))
        ]
    return moves, audits, balances


def test_bad_input_is_refused_and_changes_nothing(db: Database, clock: FrozenClock, plan: Plan) -> None:
    """The issue's bad inputs (S2.1, S2.6, S2.9): unknown SKU, negative quantity, over-picking, a
    lease of 0 m2, a wrong check digit: each a clear error naming the field, nothing written."""
    import pytest

    cid, shop = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        skus.create_sku(s, shop, now, client_id=cid, code="A", name="A", barcode=EAN)
        plan_id = inbound.create_plan(s, shop, now, client_id=cid, lines=[inbound.PlanLineIn("A", 5)]).id
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=5)
        pallet = inbound.palletize(s, OPERATOR, now, client_id=cid, items=[inbound.PalletItem("A", 5)])
        inbound.putaway(s, OPERATOR, now, pallet_id=pallet.id, location_code="A-01-1")
        order = outbound.create_order(
            s, shop, now, plan, client_id=cid, ref="O-1", carrier="zto", lines=[outbound.OrderLineIn("A", 2)]
        )
        outbound.allocate(s, OPERATOR, now, order.id)
        wave_id = outbound.create_wave(s, OPERATOR, now).id
    with db.transaction() as s:
        task = picking.next_task(s, wave_id)
    assert task is not None
    before = _snapshot(db)

    cases = [
        (
            lambda s: outbound.create_order(
                s,
                shop,
                now,
                plan,
                client_id=cid,
                ref="O-2",
                carrier="sf",
                lines=[outbound.OrderLineIn("NOPE", 1)],
            ),
            "lines.0.sku",
            "unknown SKU",
        ),
        (
            lambda s: inbound.create_plan(s, shop, now, client_id=cid, lines=[inbound.PlanLineIn("A", -3)]),
            "lines.0.expected",
            "1 or more",
        ),
        (
            lambda s: inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=-1),
            "quantity",
            "1 or more",
        ),
        (
            lambda s: picking.scan_confirm(
                s, OPERATOR, now, task.id, task.location, task.barcode, quantity=3
            ),
            "quantity",
            "over-pick",
        ),
        (
            lambda s: picking.scan_confirm(s, OPERATOR, now, task.id, "S-01-1", task.barcode),
            "location",
            "wrong location",
        ),
        (
            lambda s: picking.scan_confirm(s, OPERATOR, now, task.id, task.location, UPC),
            "barcode",
            "wrong item",
        ),
        (
            lambda s: leases.create_lease(
                s, ADMIN, now, plan, client_id=cid, area_m2="0", daily_rate="2", start=date(2026, 11, 11)
            ),
            "area_m2",
            "1 or more",
        ),
        (
            lambda s: skus.create_sku(
                s, shop, now, client_id=cid, code="X", name="X", barcode="4006381333932"
            ),
            "barcode",
            "wrong check digit: 4006381333932 should end in 1",
        ),
    ]
    for call, field, words in cases:
        with pytest.raises(InvalidInput) as err, db.transaction() as s:
            call(s)
        assert err.value.field == field
        assert words in err.value.message
        assert _snapshot(db) == before
