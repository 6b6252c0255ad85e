"""The floor's open work at a glance (S2.5, S2.9): inbound plans still receiving, pallets waiting
for put-away, waves with open pick tasks and orders picked and waiting for packing, so an
operator picks from a list instead of knowing ids. Each list is capped: the floor works on the
newest few, and a long list on a phone helps nobody."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peakguard.warehouse.models import Client, InboundPlan, Order, Pallet, PickTask

SHOWN = 12


@dataclass(frozen=True)
class Item:
    key: str
    """What the scanner field takes (a plan, wave or order number, a pallet label)."""
    title: str
    client: str
    detail: int
    """Open pick tasks of a wave; 0 elsewhere."""


@dataclass(frozen=True)
class OpenWork:
    plans: list[Item]
    pallets: list[Item]
    waves: list[Item]
    orders: list[Item]


def open_work(session: Session) -> OpenWork:
    plans = session.execute(
        select(InboundPlan.id, Client.name)
        .join(Client, Client.id == InboundPlan.client_id)
        .where(InboundPlan.status != "received")
        .order_by(InboundPlan.id.desc())
        .limit(SHOWN)
    ).all()
    pallets = session.execute(
        select(Pallet.code, Client.name)
        .join(Client, Client.id == Pallet.client_id)
        .where(Pallet.location_id.is_(None))
        .order_by(Pallet.id.desc())
        .limit(SHOWN)
    ).all()
    waves = session.execute(
        select(PickTask.wave_id, func.count())
        .where(PickTask.status == "open", PickTask.wave_id.is_not(None))
        .group_by(PickTask.wave_id)
        .order_by(PickTask.wave_id)
        .limit(SHOWN)
    ).all()
    orders = session.execute(
        select(Order.id, Order.ref, Client.name)
        .join(Client, Client.id == Order.client_id)
        .where(Order.status == "picked")
        .order_by(Order.id)
        .limit(SHOWN)
    ).all()
    return OpenWork(
        plans=[Item(str(pid), str(pid), name, 0) for pid, name in plans],
        pallets=[Item(code, code, name, 0) for code, name in pallets],
        waves=[Item(str(wid), str(wid), "", n) for wid, n in waves],
        orders=[Item(str(oid), ref, name, 0) for oid, ref, name in orders],
    )
