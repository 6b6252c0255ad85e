"""Stock moves and hand-off details (S2.5, S2.8, S2.11): relocating moves only unreserved
stock and keeps the ledger and balances equal; a second hand-off to a carrier on the same day
adds to that day's manifest."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.errors import InvalidInput
from peakguard.plan.schemas import Plan
from peakguard.warehouse import carriers, inbound, outbound, picking, skus, stock
from peakguard.warehouse.models import Manifest, StockBalance
from tests.factories import EAN, OPERATOR, setup_warehouse


def _stock(db: Database, clock: FrozenClock, plan: Plan) -> tuple[int, object]:
    cid, shop = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        skus.create_sku(s, shop, now, client_id=cid, code="A", name="A", barcode=EAN)
        plan_id = inbound.create_plan(s, shop, now, client_id=cid, lines=[inbound.PlanLineIn("A", 6)]).id
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=6)
        pallet = inbound.palletize(s, OPERATOR, now, client_id=cid, items=[inbound.PalletItem("A", 6)])
        inbound.putaway(s, OPERATOR, now, pallet_id=pallet.id, location_code="A-01-1")
    return cid, shop


def test_relocate_moves_only_unreserved_stock(db: Database, clock: FrozenClock, plan: Plan) -> None:
    """S2.5: 4 of 6 units reserved; 2 may move, a third may not, and nothing half-moves."""
    cid, shop = _stock(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        order = outbound.create_order(
            s, shop, now, plan, client_id=cid, ref="R", carrier="sf", lines=[outbound.OrderLineIn("A", 4)]
        )
        outbound.allocate(s, OPERATOR, now, order.id)
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        inbound.relocate(
            s, OPERATOR, now, client_id=cid, sku="A", from_location="A-01-1", to_location="A-01-2", quantity=3
        )
    assert err.value.field == "quantity" and "unreserved" in err.value.message
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        inbound.relocate(
            s, OPERATOR, now, client_id=cid, sku="A", from_location="A-01-1", to_location="Z-9", quantity=1
        )
    assert err.value.field == "to_location"
    with pytest.raises(InvalidInput) as err, db.transaction() as s:  # S2.3: one client, one bay
        inbound.relocate(
            s, OPERATOR, now, client_id=cid, sku="A", from_location="A-01-1", to_location="S-01-1", quantity=1
        )
    assert err.value.field == "to_location" and "dedicated storage" in err.value.message
    with db.transaction() as s:
        inbound.relocate(
            s, OPERATOR, now, client_id=cid, sku="A", from_location="A-01-1", to_location="A-01-2", quantity=2
        )
    with db.transaction() as s:
        rows = {r.location: (r.on_hand, r.reserved) for r in stock.query(s, shop)}
        assert rows == {"A-01-1": (4, 4), "A-01-2": (2, 0)}
        for bal in s.scalars(select(StockBalance)):
            assert bal.on_hand == stock.ledger_balance(s, bal.sku_id, bal.place)


def test_one_manifest_per_carrier_per_day(db: Database, clock: FrozenClock, plan: Plan) -> None:
    """S2.11: two pick-ups by the same carrier on one day share that day's manifest."""
    cid, shop = _stock(db, clock, plan)
    now = clock.now()
    for ref in ("M-1", "M-2"):
        with db.transaction() as s:
            order = outbound.create_order(
                s, shop, now, plan, client_id=cid, ref=ref, carrier="sf", lines=[outbound.OrderLineIn("A", 1)]
            )
            outbound.allocate(s, OPERATOR, now, order.id)
            task = picking.next_task(s, outbound.create_wave(s, OPERATOR, now, [order.id]).id)
            assert task is not None
            picking.scan_confirm(s, OPERATOR, now, task.id, task.location, task.barcode)
            picking.pack(s, OPERATOR, now, plan, order.id, weight_kg="1")
            carriers.hand_over(s, OPERATOR, now, plan, "sf")
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Manifest)) == 1
        manifest = s.scalars(select(Manifest)).one()
        _, rows = carriers.manifest_packages(s, manifest.id)
        assert [o.ref for _, o in rows] == ["M-1", "M-2"]
        assert stock.totals(s, shop)["A"]["on_hand"] == 4
