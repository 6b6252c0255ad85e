"""Put-away that cannot go wrong (issue 16; S2.3 one client, one bay; S2.5, S2.7): the suggested
location, or another one only by a supervisor's explicit override; never another client's
dedicated bay, and never a shared bay for a client with dedicated storage, override or not. The
service enforces it, so the API and the CLI obey the same rules as the scanner page. Receiving
more than the plan expects is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from peakguard.audit.service import Actor
from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.errors import DomainError, Forbidden, InvalidInput
from peakguard.plan.schemas import Plan
from peakguard.warehouse import clients, inbound, skus
from peakguard.warehouse.models import Pallet, StockBalance
from tests.factories import ADMIN, EAN, OPERATOR, UPC, setup_warehouse


def _pallet(db: Database, clock: FrozenClock, client_id: int, actor: Actor, sku: str, barcode: str) -> int:
    now = clock.now()
    with db.transaction() as s:
        skus.create_sku(s, actor, now, client_id=client_id, code=sku, name=sku, barcode=barcode)
        plan_id = inbound.create_plan(
            s, actor, now, client_id=client_id, lines=[inbound.PlanLineIn(sku, 2)]
        ).id
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=barcode, quantity=2)
        return inbound.palletize(s, OPERATOR, now, client_id=client_id, items=[inbound.PalletItem(sku, 2)]).id


def _refused(
    db: Database, clock: FrozenClock, actor: Actor, pallet_id: int, where: str, override: bool
) -> DomainError:
    with pytest.raises(DomainError) as err, db.transaction() as s:
        inbound.putaway(s, actor, clock.now(), pallet_id=pallet_id, location_code=where, override=override)
    with db.transaction() as s:
        pallet = s.get(Pallet, pallet_id)
        assert pallet is not None and pallet.location_id is None
        assert s.scalar(select(StockBalance.on_hand).where(StockBalance.place == f"pallet:{pallet_id}")) == 2
    return err.value


def test_dedicated_client_goes_to_its_own_bay_only(db: Database, clock: FrozenClock, plan: Plan) -> None:
    cid, shop = setup_warehouse(db, clock, plan)
    pallet_id = _pallet(db, clock, cid, shop, "A", EAN)
    with db.transaction() as s:
        assert inbound.suggest_location(s, OPERATOR, pallet_id).code == "A-01-1"
    # a shared-bay location: refused outright, even with a supervisor's override (S2.3)
    for actor, override in ((OPERATOR, False), (ADMIN, True)):
        err = _refused(db, clock, actor, pallet_id, "S-01-1", override)
        assert (
            isinstance(err, InvalidInput) and err.field == "location" and "dedicated storage" in err.message
        )
    # another location in its own bay: not without an override, and only a supervisor may give one
    err = _refused(db, clock, OPERATOR, pallet_id, "A-01-2", False)
    assert isinstance(err, InvalidInput) and "not the suggested location" in err.message
    err = _refused(db, clock, OPERATOR, pallet_id, "A-01-2", True)
    assert isinstance(err, Forbidden) and err.field == "override"
    with db.transaction() as s:
        inbound.putaway(s, ADMIN, clock.now(), pallet_id=pallet_id, location_code="A-01-2", override=True)


def test_no_pallet_enters_another_clients_bay(db: Database, clock: FrozenClock, plan: Plan) -> None:
    _, _ = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        other = clients.create_client(s, ADMIN, now, code="shop-b", name="店铺B").id
    pallet_id = _pallet(db, clock, other, ADMIN, "B", UPC)
    with db.transaction() as s:
        assert inbound.suggest_location(s, OPERATOR, pallet_id).code == "S-01-1"
    for actor, override in ((OPERATOR, False), (ADMIN, True)):
        err = _refused(db, clock, actor, pallet_id, "A-01-1", override)
        assert isinstance(err, InvalidInput) and "dedicated to another client" in err.message
    with db.transaction() as s:
        inbound.putaway(s, OPERATOR, now, pallet_id=pallet_id, location_code="S-01-1")


def test_a_full_own_bay_does_not_spill_into_the_shared_bay(
    db: Database, clock: FrozenClock, plan: Plan
) -> None:
    """S2.7 used to fall back to shared bays; one client, one bay (S2.3) says it must not."""
    cid, shop = setup_warehouse(db, clock, plan)
    first = _pallet(db, clock, cid, shop, "A", EAN)
    second = _pallet(db, clock, cid, shop, "B", UPC)
    with db.transaction() as s:
        inbound.putaway(s, OPERATOR, clock.now(), pallet_id=first, location_code="A-01-1")
        assert inbound.suggest_location(s, OPERATOR, second).code == "A-01-2"
        inbound.putaway(s, OPERATOR, clock.now(), pallet_id=second, location_code="A-01-2")
    third = _pallet(db, clock, cid, shop, "C", "5901234123457")
    with pytest.raises(DomainError) as err, db.transaction() as s:
        inbound.suggest_location(s, OPERATOR, third)
    assert err.value.field == "location"


def test_receiving_more_than_the_plan_expects_is_refused(
    db: Database, clock: FrozenClock, plan: Plan
) -> None:
    cid, shop = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        skus.create_sku(s, shop, now, client_id=cid, code="A", name="A", barcode=EAN)
        plan_id = inbound.create_plan(s, shop, now, client_id=cid, lines=[inbound.PlanLineIn("A", 2)]).id
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=1)
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=1, qc="fail", reason="破损")
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        inbound.receive(s, OPERATOR, now, plan_id=plan_id, barcode=EAN, quantity=1)
    assert err.value.field == "quantity" and "more than the inbound plan expects" in err.value.message
