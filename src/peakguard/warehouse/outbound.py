"""Outbound orders (S2.4, S2.9): a client's order with notes -> allocation reserves stock at
locations and makes the pick tasks (all or nothing: an order that cannot be filled names each
short line and why, and reserves nothing) -> a wave releases allocated orders to the pickers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, Message, Word
from peakguard.plan.schemas import Plan
from peakguard.warehouse import stock
from peakguard.warehouse.clients import get_client
from peakguard.warehouse.models import Location, Order, OrderLine, PickTask, Sku, StockBalance, Wave
from peakguard.warehouse.scope import client_filter, get_owned
from peakguard.warehouse.skus import sku_by_code


@dataclass(frozen=True)
class OrderLineIn:
    sku: str
    quantity: int


def create_order(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    *,
    client_id: int,
    ref: str,
    carrier: str,
    lines: list[OrderLineIn],
    notes: str = "",
) -> Order:
    client_id = client_filter(actor, client_id) or client_id
    get_client(session, actor, client_id)
    ref = ref.strip()
    if not ref or len(ref) > 64:
        raise InvalidInput("ref", "must be 1-64 characters")
    if carrier not in plan.warehouse.carriers:
        raise InvalidInput("carrier", "must be one of {choices}", choices=", ".join(plan.warehouse.carriers))
    if not lines:
        raise InvalidInput("lines", "an order needs at least one line")
    if session.scalar(select(Order.id).where(Order.client_id == client_id, Order.ref == ref)) is not None:
        raise Conflict("order {ref} exists", field="ref", ref=ref)
    order = Order(client_id=client_id, ref=ref, notes=notes, carrier=carrier, status="new", created_at=now)
    session.add(order)
    session.flush()
    for i, line in enumerate(lines):
        sku = sku_by_code(session, client_id, line.sku, f"lines.{i}.sku")
        if line.quantity < 1:
            raise InvalidInput(f"lines.{i}.quantity", "must be 1 or more")
        session.add(OrderLine(order_id=order.id, sku_id=sku.id, quantity=line.quantity))
    session.flush()
    record(
        session,
        actor,
        "warehouse.order.create",
        "wh_order",
        order.id,
        now,
        client_id=client_id,
        ref=ref,
        lines=[(ln.sku, ln.quantity) for ln in lines],
    )
    return order


def get_order(session: Session, actor: Actor, order_id: int) -> Order:
    return get_owned(session, actor, Order, order_id, "order")


def list_orders(
    session: Session, actor: Actor, client_id: int | None = None, status: str | None = None
) -> list[Order]:
    query = select(Order).order_by(Order.id.desc()).limit(1000)
    scoped = client_filter(actor, client_id)
    if scoped is not None:
        query = query.where(Order.client_id == scoped)
    if status:
        query = query.where(Order.status == status)
    return list(session.scalars(query))


def order_lines(session: Session, order_id: int) -> list[tuple[OrderLine, Sku]]:
    return list(
        session.execute(
            select(OrderLine, Sku)
            .join(Sku, Sku.id == OrderLine.sku_id)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.id)
        ).all()
    )


def allocate(session: Session, actor: Actor, now: datetime, order_id: int) -> list[PickTask]:
    """Reserve every line at locations (fewest locations first: fullest balance first) and make
    one pick task per location used. Each reservation is a conditional update, so concurrent
    allocations on separate connections never reserve the same unit twice."""
    order = get_order(session, actor, order_id)
    claimed = session.execute(
        update(Order).where(Order.id == order.id, Order.status == "new").values(status="allocated")
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "order {ref} is {status}, not new", field="order_id", ref=order.ref, status=Word(order.status)
        )
    tasks: list[PickTask] = []
    short: list[Message] = []
    for line, sku in order_lines(session, order.id):
        need = line.quantity
        candidates = session.execute(
            select(StockBalance.id, StockBalance.location_id, StockBalance.on_hand - StockBalance.reserved)
            .where(
                StockBalance.sku_id == sku.id,
                StockBalance.location_id.is_not(None),
                StockBalance.on_hand > StockBalance.reserved,
            )
            .order_by((StockBalance.on_hand - StockBalance.reserved).desc(), StockBalance.id)
        ).all()
        for balance_id, location_id, free in candidates:
            take = min(need, int(free))
            while take > 0 and not stock.reserve(session, balance_id, take):
                # Someone reserved here since we looked: see what is left and try that.
                left = session.scalar(
                    select(StockBalance.on_hand - StockBalance.reserved).where(StockBalance.id == balance_id)
                )
                take = min(need, int(left or 0))
            if take > 0:
                tasks.append(
                    PickTask(
                        order_id=order.id,
                        client_id=order.client_id,
                        sku_id=sku.id,
                        location_id=location_id,
                        quantity=take,
                        status="allocated",
                    )
                )
                need -= take
            if need == 0:
                break
        if need:
            short.append(
                Message(
                    "{sku}: {ordered} ordered, {available} available",
                    sku=sku.code,
                    ordered=line.quantity,
                    available=line.quantity - need,
                )
            )
    if short:
        # The caller's transaction rolls back: nothing stays reserved for a half-filled order.
        raise Conflict("order {ref} cannot be filled: {short}", field="lines", ref=order.ref, short=short)
    session.add_all(tasks)
    order.status = "allocated"
    session.flush()
    record(session, actor, "warehouse.order.allocate", "wh_order", order.id, now, tasks=len(tasks))
    return tasks


def create_wave(session: Session, actor: Actor, now: datetime, order_ids: list[int] | None = None) -> Wave:
    """Release allocated orders (all, or the ones named) to the pickers as one wave."""
    query = select(Order).where(Order.status == "allocated", Order.wave_id.is_(None))
    if order_ids:
        query = query.where(Order.id.in_(order_ids))
    orders = list(session.scalars(query.order_by(Order.id).with_for_update()))
    if not orders:
        raise Conflict("no allocated orders to release", field="order_ids")
    wave = Wave(created_at=now)
    session.add(wave)
    session.flush()
    ids = [o.id for o in orders]
    for order in orders:
        order.wave_id = wave.id
        order.status = "picking"
    session.execute(update(PickTask).where(PickTask.order_id.in_(ids)).values(wave_id=wave.id, status="open"))
    walk = session.scalars(
        select(PickTask.id)
        .join(Location, Location.id == PickTask.location_id)
        .where(PickTask.wave_id == wave.id)
        .order_by(Location.code, PickTask.id)
    ).all()
    session.execute(
        update(PickTask), [{"id": task_id, "walk_rank": rank} for rank, task_id in enumerate(walk)]
    )
    record(session, actor, "warehouse.wave.create", "wh_wave", wave.id, now, orders=ids)
    return wave


def wave_tasks(session: Session, wave_id: int) -> list[tuple[PickTask, Location, Sku]]:
    """The wave's tasks in walking order (by location code, fixed at release)."""
    return list(
        session.execute(
            select(PickTask, Location, Sku)
            .join(Location, Location.id == PickTask.location_id)
            .join(Sku, Sku.id == PickTask.sku_id)
            .where(PickTask.wave_id == wave_id)
            .order_by(PickTask.walk_rank)
        ).all()
    )
