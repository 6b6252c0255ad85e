"""Routes for outbound orders, allocation, waves, scan-confirmed picking, packing, waybills and
the carrier hand-off (S2.4, S2.9, S2.11)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.deps import CanOperateWarehouse, Now, SessionDep, run_and_commit
from peakguard.export_safety import for_excel
from peakguard.idempotency import IdempotencyKeyDep, remember, replay
from peakguard.limits import Id, Term
from peakguard.plan.service import current_plan
from peakguard.warehouse import carriers, outbound, picking
from peakguard.warehouse.api.deps import OperatorOrClient
from peakguard.warehouse.api.goods import LABEL_FORMAT, label_response
from peakguard.warehouse.models import Order, Package
from peakguard.warehouse.schemas import (
    ManifestOut,
    OrderIn,
    OrderLineOut,
    OrderOut,
    PackageOut,
    PackIn,
    ScanIn,
    WaveIn,
    WaveOut,
)

router = APIRouter(prefix="/api/v1/warehouse", tags=["warehouse"])


def _order_out(session: Session, order: Order) -> OrderOut:
    out = OrderOut.model_validate(order)
    out.lines = [
        OrderLineOut(sku=sku.code, quantity=ln.quantity)
        for ln, sku in outbound.order_lines(session, order.id)
    ]
    out.tracking_no = session.scalar(select(Package.tracking_no).where(Package.order_id == order.id))
    return out


@router.post("/orders", response_model=OrderOut, status_code=201)
def create_order(
    body: OrderIn,
    actor: OperatorOrClient,
    session: SessionDep,
    now: Now,
    key: IdempotencyKeyDep,
) -> object:
    if (answer := replay(session, actor, key)) is not None:
        return answer
    lines = [outbound.OrderLineIn(ln.sku, ln.quantity) for ln in body.lines]
    order = outbound.create_order(
        session,
        actor,
        now,
        current_plan(),
        client_id=body.client_id,
        ref=body.ref,
        carrier=body.carrier,
        lines=lines,
        notes=body.notes,
    )
    return remember(session, actor, now, key, _order_out(session, order), 201)


@router.get("/orders", response_model=list[OrderOut])
def list_orders(
    actor: OperatorOrClient, session: SessionDep, client_id: Id | None = None, status: Term | None = None
) -> object:
    return outbound.list_orders(session, actor, client_id, status)


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: Id, actor: OperatorOrClient, session: SessionDep) -> object:
    return _order_out(session, outbound.get_order(session, actor, order_id))


@router.post("/orders/{order_id}/allocate", response_model=list[picking.TaskView])
def allocate(order_id: Id, actor: CanOperateWarehouse, session: SessionDep, now: Now) -> object:
    """Reserve the order's stock and make its pick tasks; a short order names its lines (409)."""
    tasks = outbound.allocate(session, actor, now, order_id)
    return [picking.get_task(session, t.id) for t in tasks]


@router.post("/waves", response_model=WaveOut, status_code=201)
def create_wave(body: WaveIn, actor: CanOperateWarehouse, session: SessionDep, now: Now) -> object:
    wave = outbound.create_wave(session, actor, now, body.order_ids)
    return WaveOut(
        id=wave.id, tasks=[picking.get_task(session, t.id) for t, _, _ in outbound.wave_tasks(session, wave.id)]
    )


@router.get("/waves/{wave_id}/next", response_model=picking.TaskView | None)
def next_task(wave_id: Id, _: CanOperateWarehouse, session: SessionDep) -> object:
    """The wave's next open task in walking order, or null when the wave is picked."""
    return picking.next_task(session, wave_id)


@router.get("/tasks/{task_id}", response_model=picking.TaskView)
def get_task(task_id: Id, _: CanOperateWarehouse, session: SessionDep) -> object:
    return picking.get_task(session, task_id)


@router.post("/tasks/{task_id}/scan", response_model=picking.ScanResult)
async def scan(
    task_id: Id, body: ScanIn, actor: CanOperateWarehouse, session: SessionDep, now: Now
) -> object:
    """Confirm a pick by its location and item scans (S2.9); answers the next task. The hot path
    of the floor: the scan and its commit run in one thread hop, and the picker's answer is sent
    only once the pick is stored."""
    return await run_and_commit(
        session,
        picking.scan_confirm,
        session,
        actor,
        now,
        task_id,
        body.location,
        body.barcode,
        body.quantity,
    )


@router.post("/orders/{order_id}/pack", response_model=PackageOut, status_code=201)
def pack(order_id: Id, body: PackIn, actor: CanOperateWarehouse, session: SessionDep, now: Now) -> object:
    return picking.pack(session, actor, now, current_plan(), order_id, weight_kg=body.weight_kg)


@router.get("/orders/{order_id}/waybill")
def waybill(
    order_id: Id, actor: OperatorOrClient, session: SessionDep, format: Term = LABEL_FORMAT
) -> Response:
    """The 100 x 150 mm e-waybill with the Code128 tracking number (S2.9)."""
    return label_response(
        carriers.waybill(session, actor, current_plan(), order_id, format), f"waybill-{order_id}"
    )


@router.post("/handover/{carrier}", response_model=ManifestOut, status_code=201)
def hand_over(carrier: Term, actor: CanOperateWarehouse, session: SessionDep, now: Now) -> object:
    """Hand every packed parcel of the carrier over: today's manifest (S2.11)."""
    return carriers.hand_over(session, actor, now, current_plan(), carrier)


@router.get("/manifests", response_model=list[ManifestOut])
def manifests(_: CanOperateWarehouse, session: SessionDep, carrier: Term | None = None) -> object:
    return carriers.manifests(session, carrier)


@router.get("/manifests/{manifest_id}/export")
def manifest_csv(manifest_id: Id, _: CanOperateWarehouse, session: SessionDep) -> Response:
    return Response(
        for_excel(carriers.manifest_csv(session, manifest_id)), media_type="text/csv; charset=utf-8"
    )
