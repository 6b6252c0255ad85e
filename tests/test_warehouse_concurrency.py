"""Stock under concurrency (S2.8, S2.9): 100 allocations at once from separate connections
against 50 units of one SKU reserve exactly 50, oversell none and lose none, on SQLite and on
PostgreSQL. The guard is the database's conditional update, not a Python lock."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.errors import Conflict
from peakguard.plan.schemas import Plan
from peakguard.warehouse import inbound, outbound, picking, skus, stock
from peakguard.warehouse.models import Order, PickTask, StockBalance
from tests.factories import ADMIN, EAN, OPERATOR, setup_warehouse

ORDERS = 100
UNITS = 50


def test_100_concurrent_allocations_share_50_units(
    db_url: str, db: Database, clock: FrozenClock, plan: Plan
) -> None:
    """S2.9: exactly 50 orders get their unit; the other 50 are told the SKU is short."""
    cid, shop = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        skus.create_sku(s, shop, now, client_id=cid, code="HOT", name="爆款", barcode=EAN)
        plan_id = inbound.create_plan(
            s, shop, now, client_id=cid, lines=[inbound.PlanLineIn("HOT", UNITS)]
        ).id
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=UNITS)
        # Two locations, so allocations also race across balances.
        for qty, loc in ((30, "A-01-1"), (20, "A-01-2")):
            pallet = inbound.palletize(
                s, OPERATOR, now, client_id=cid, items=[inbound.PalletItem("HOT", qty)]
            )
            # a supervisor's choice of place, not the suggestion (S2.7)
            inbound.putaway(s, ADMIN, now, pallet_id=pallet.id, location_code=loc, override=True)
        order_ids = [
            outbound.create_order(
                s,
                shop,
                now,
                plan,
                client_id=cid,
                ref=f"R-{i}",
                carrier="sf",
                lines=[outbound.OrderLineIn("HOT", 1)],
            ).id
            for i in range(ORDERS)
        ]

    engine = Database(db_url)  # a second engine: every thread draws its own connection from it
    start = threading.Barrier(ORDERS)
    outcomes: list[str] = []
    lock = threading.Lock()  # guards the test's result list only, not the stock

    def allocate(order_id: int) -> None:
        start.wait()
        try:
            with engine.transaction() as s:
                outbound.allocate(s, OPERATOR, now, order_id)
            result = "ok"
        except Conflict as exc:
            result = "short" if "cannot be filled" in exc.message else f"other: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - any other failure must show in the assertion
            result = f"error: {exc!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=allocate, args=(oid,)) for oid in order_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()

    assert sorted(set(outcomes)) == ["ok", "short"], outcomes
    assert outcomes.count("ok") == UNITS
    with db.transaction() as s:
        assert s.scalar(select(func.sum(StockBalance.reserved))) == UNITS
        assert (
            s.scalar(select(func.sum(StockBalance.on_hand)).where(StockBalance.location_id.is_not(None)))
            == UNITS
        )
        assert s.scalar(select(func.sum(PickTask.quantity))) == UNITS
        assert s.scalar(select(func.count()).select_from(Order).where(Order.status == "allocated")) == UNITS
        assert (
            s.scalar(select(func.count()).select_from(Order).where(Order.status == "new")) == ORDERS - UNITS
        )
        assert stock.totals(s, shop)["HOT"] == {
            "on_hand": UNITS,
            "reserved": UNITS,
            "available": 0,
            "held": 0,
        }


def test_concurrent_scans_of_one_task_never_over_pick(
    db_url: str, db: Database, clock: FrozenClock, plan: Plan
) -> None:
    """S2.9: ten pickers scan the same 3-unit task at once: three scans count, seven are told
    over-pick, and the location loses exactly 3 units."""
    cid, shop = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        skus.create_sku(s, shop, now, client_id=cid, code="HOT", name="爆款", barcode=EAN)
        plan_id = inbound.create_plan(s, shop, now, client_id=cid, lines=[inbound.PlanLineIn("HOT", 5)]).id
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=5)
        pallet = inbound.palletize(s, OPERATOR, now, client_id=cid, items=[inbound.PalletItem("HOT", 5)])
        inbound.putaway(s, OPERATOR, now, pallet_id=pallet.id, location_code="A-01-1")
        order = outbound.create_order(
            s, shop, now, plan, client_id=cid, ref="R-1", carrier="sf", lines=[outbound.OrderLineIn("HOT", 3)]
        )
        outbound.allocate(s, OPERATOR, now, order.id)
        wave_id = outbound.create_wave(s, OPERATOR, now).id
        task = picking.next_task(s, wave_id)
    assert task is not None
    engine = Database(db_url)
    start = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def scan() -> None:
        start.wait()
        try:
            with engine.transaction() as s:
                picking.scan_confirm(s, OPERATOR, now, task.id, task.location, task.barcode)
            result = "ok"
        except Exception as exc:  # noqa: BLE001 - the message decides below
            result = "over" if "over-pick" in str(exc) or "is done" in str(exc) else repr(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=scan) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert sorted(outcomes) == ["ok"] * 3 + ["over"] * 7, outcomes
    with db.transaction() as s:
        assert stock.totals(s, shop)["HOT"] == {"on_hand": 5, "reserved": 0, "available": 2, "held": 0}
