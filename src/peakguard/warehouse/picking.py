"""Picking by scan (S2.9) and packing: a picker scans the location, then the item; a wrong
location, a wrong item or more than the task asks is refused with exactly that message and moves
nothing. A good scan moves the reserved stock off the location in one conditional update and
answers the picker's next task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, cast

from pydantic import Field
from sqlalchemy import Table, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound, Word
from peakguard.labels import barcodes
from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing, carriers, stock
from peakguard.warehouse.models import Location, Order, Package, PickTask, Sku
from peakguard.warehouse.outbound import get_order
from peakguard.warehouse.validation import decimal_field


@dataclass(frozen=True)
class TaskView:
    """A pick task as the picker sees it: the scanner page and the API's answers (which leave
    out the page-only fields) both use this one type."""

    id: int
    order_id: int
    location: str
    sku: str
    barcode: str
    quantity: int
    picked: int
    status: str
    name: Annotated[str, Field(exclude=True)] = ""
    """The product's name, for the picker's screen."""
    wave_id: Annotated[int | None, Field(exclude=True)] = None


@dataclass(frozen=True)
class ScanResult:
    """A confirmed scan: the task as it is now, the picker's next one, and whether the order is
    fully picked. The API answers it as it is."""

    task: TaskView
    next_task: TaskView | None
    order_picked: bool


_T = cast(Table, PickTask.__table__)
_L = cast(Table, Location.__table__)
_S = cast(Table, Sku.__table__)
# Built once (S2.9 is the hot path): SQLAlchemy reuses the compiled statements on every scan.
_ROW = (
    select(
        _T.c.id,
        _T.c.order_id,
        _T.c.client_id,
        _T.c.sku_id,
        _T.c.location_id,
        _T.c.quantity,
        _T.c.picked,
        _T.c.status,
        _T.c.wave_id,
        _L.c.code.label("location"),
        _S.c.code.label("sku"),
        _S.c.barcode,
        _S.c.name,
    )
    .join_from(_T, _L, _L.c.id == _T.c.location_id)
    .join(_S, _S.c.id == _T.c.sku_id)
)
_BY_ID = _ROW.where(_T.c.id == bindparam("t_id"))
_NEXT = (
    _ROW.where(_T.c.wave_id == bindparam("t_wave"), _T.c.status == "open").order_by(_T.c.walk_rank).limit(1)
)
_PICK = (
    update(_T)
    .where(
        _T.c.id == bindparam("t_id"), _T.c.status == "open", _T.c.picked + bindparam("t_qty") <= _T.c.quantity
    )
    .values(
        picked=_T.c.picked + bindparam("t_qty"),
        status=case((_T.c.picked + bindparam("t_qty") == _T.c.quantity, "done"), else_="open"),
    )
    .returning(_T.c.picked, _T.c.status)
)
_OPEN_LEFT = select(func.count()).where(_T.c.order_id == bindparam("t_order"), _T.c.status != "done")
_ORDER_PICKED = (
    update(cast(Table, Order.__table__)).where(Order.id == bindparam("t_order")).values(status="picked")
)


def _view(row: Any) -> TaskView:
    return TaskView(
        row.id,
        row.order_id,
        row.location,
        row.sku,
        row.barcode,
        row.quantity,
        row.picked,
        row.status,
        row.name,
        row.wave_id,
    )


def get_task(session: Session, task_id: int) -> TaskView:
    row = session.execute(_BY_ID, {"t_id": task_id}).first()
    if row is None:
        raise NotFound("pick task {task_id} not found", task_id=task_id)
    return _view(row)


def next_task(session: Session, wave_id: int | None) -> TaskView | None:
    """The wave's first open task in walking order (lowest location code): an index lookup on
    (wave, status, walk rank)."""
    if wave_id is None:
        return None
    row = session.execute(_NEXT, {"t_wave": wave_id}).first()
    return _view(row) if row else None


def check_location(task: Any, location_code: str) -> None:
    """The first scan of a pick (S2.9): the picker stands at the task's location."""
    if location_code.strip() != task.location:
        raise InvalidInput(
            "location",
            "wrong location: scanned {location_code}, the task is at {location}",
            location_code=location_code.strip(),
            location=task.location,
        )


def not_packable(order: Order) -> Conflict:
    return Conflict(
        "order {ref} is {status}; only a picked order can be packed",
        field="order_id",
        ref=order.ref,
        status=Word(order.status),
    )


def check_packable(order: Order) -> None:
    """Only a picked order is packed (S2.9, S2.11)."""
    if order.status != "picked":
        raise not_packable(order)


def scan_confirm(
    session: Session,
    actor: Actor,
    now: datetime,
    task_id: int,
    location_code: str,
    barcode: str,
    quantity: int = 1,
) -> ScanResult:
    """Confirm ``quantity`` picked for a task by its scans; returns the task and the next one."""
    task = session.execute(_BY_ID, {"t_id": task_id}).first()
    if task is None:
        raise NotFound("pick task {task_id} not found", task_id=task_id)
    if task.status != "open":
        raise Conflict(
            "pick task {task_id} is {status}, not open",
            field="task_id",
            task_id=task_id,
            status=Word(task.status),
        )
    check_location(task, location_code)
    if barcode.strip() != task.barcode:
        barcodes.refuse_misread(barcode, "barcode")
        raise InvalidInput(
            "barcode",
            "wrong item: scanned {barcode}, the task wants {sku} ({wanted_barcode})",
            barcode=barcode,
            sku=task.sku,
            wanted_barcode=task.barcode,
        )
    if quantity < 1:
        raise InvalidInput("quantity", "must be 1 or more")
    left = task.quantity - task.picked
    if quantity > left:
        raise InvalidInput(
            "quantity",
            "over-pick: {quantity} scanned, only {left} left to pick",
            quantity=quantity,
            left=left,
        )
    done = session.execute(_PICK, {"t_id": task.id, "t_qty": quantity}).first()
    if done is None:
        raise InvalidInput(
            "quantity", "over-pick: another scan already picked task {task_id}", task_id=task_id
        )
    order_picked = False
    if done.status == "done" and not session.scalar(_OPEN_LEFT, {"t_order": task.order_id}):
        session.execute(_ORDER_PICKED, {"t_order": task.order_id})
        order_picked = True
    record(
        session,
        actor,
        "warehouse.pick.scan",
        "wh_pick_task",
        task.id,
        now,
        location=task.location,
        barcode=barcode,
        quantity=quantity,
    )
    view = TaskView(
        task.id,
        task.order_id,
        task.location,
        task.sku,
        task.barcode,
        task.quantity,
        done.picked,
        done.status,
        task.name,
        task.wave_id,
    )
    following = next_task(session, task.wave_id)
    # The stock move last: its update locks the location's balance row, which every picker of
    # this SKU at this location needs, so it is held only from here to the commit.
    stock.move(
        session,
        actor,
        now,
        client_id=task.client_id,
        sku_id=task.sku_id,
        from_place=stock.place_of_location(task.location_id),
        to_place=f"out:{task.order_id}",
        quantity=quantity,
        kind="pick",
        ref=f"task:{task.id}",
        reserved=True,
    )
    return ScanResult(view, following, order_picked)


def pack(
    session: Session, actor: Actor, now: datetime, plan: Plan, order_id: int, *, weight_kg: object
) -> Package:
    """Pack a picked order: weigh it, draw a tracking number from its carrier, bill the order and
    its waybill label."""
    order = get_order(session, actor, order_id)
    weight = decimal_field(weight_kg, "weight_kg", Decimal("0.001"))
    claimed = session.execute(
        update(Order).where(Order.id == order.id, Order.status == "picked").values(status="packed")
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise not_packable(order)
    tracking = carriers.adapter(plan, order.carrier).tracking_number(session)
    package = Package(
        order_id=order.id,
        client_id=order.client_id,
        weight_kg=weight,
        carrier=order.carrier,
        tracking_no=tracking,
        packed_at=now,
    )
    session.add(package)
    session.flush()
    billing.charge(
        session,
        now,
        plan,
        client_id=order.client_id,
        code="outbound_order",
        quantity=1,
        ref=f"order:{order.id}",
    )
    billing.charge(
        session, now, plan, client_id=order.client_id, code="label", quantity=1, ref=f"waybill:{tracking}"
    )
    session.refresh(order)
    record(
        session,
        actor,
        "warehouse.order.pack",
        "wh_order",
        order.id,
        now,
        weight_kg=weight,
        tracking_no=tracking,
    )
    return package
