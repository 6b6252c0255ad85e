"""A small overflow warehouse for the scanner and portal page tests (S2.5-S2.9): two client
shops, a dedicated bay and a shared one, one item received, palletized and put away, and one
order of three allocated and released as a wave; built only through the warehouse services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing, clients, inbound, outbound, skus
from tests.factories import ADMIN, EAN, UPC

OTHER_EAN = UPC
"""A second product's code (a UPC-A), for scanning the wrong item."""


@dataclass(frozen=True)
class Warehouse:
    shop_a: int
    shop_b: int
    wave: int
    order: int
    inbound_plan: int


def build(session: Session, now: datetime, plan: Plan) -> Warehouse:
    a = clients.create_client(session, ADMIN, now, code="shop-a", name="店铺A", storage="dedicated")
    b = clients.create_client(session, ADMIN, now, code="shop-b", name="店铺B")
    bay = clients.create_bay(session, ADMIN, now, code="A", area_m2="40", kind="dedicated", client_id=a.id)
    shared = clients.create_bay(session, ADMIN, now, code="S", area_m2="60")
    clients.create_locations(session, ADMIN, now, bay_id=bay.id, racks=["01"], levels=["1", "2"])
    clients.create_locations(session, ADMIN, now, bay_id=shared.id, racks=["01"], levels=["1"])
    for code, amount in (("inbound_line", "3.00"), ("outbound_order", "5.00"), ("label", "0.50")):
        billing.set_price(session, ADMIN, now, code=code, amount=amount)
    skus.create_sku(session, ADMIN, now, client_id=a.id, code="CUP", name="保温杯", barcode=EAN)
    skus.create_sku(session, ADMIN, now, client_id=a.id, code="MUG", name="马克杯", barcode=OTHER_EAN)
    skus.create_sku(session, ADMIN, now, client_id=b.id, code="TEA", name="茶叶", barcode=EAN)
    first = inbound.create_plan(session, ADMIN, now, client_id=a.id, lines=[inbound.PlanLineIn("CUP", 10)])
    inbound.receive(session, ADMIN, now, plan_id=first.id, barcode=EAN, quantity=10)
    pallet = inbound.palletize(session, ADMIN, now, client_id=a.id, items=[inbound.PalletItem("CUP", 10)])
    inbound.putaway(session, ADMIN, now, pallet_id=pallet.id, location_code="A-01-1")
    second = inbound.create_plan(
        session, ADMIN, now, client_id=a.id, notes="易碎", lines=[inbound.PlanLineIn("MUG", 4)]
    )
    order = outbound.create_order(
        session,
        ADMIN,
        now,
        plan,
        client_id=a.id,
        ref="T-1001",
        carrier=next(iter(plan.warehouse.carriers)),
        lines=[outbound.OrderLineIn("CUP", 3)],
    )
    outbound.allocate(session, ADMIN, now, order.id)
    wave = outbound.create_wave(session, ADMIN, now)
    return Warehouse(a.id, b.id, wave.id, order.id, second.id)
