"""Routes for SKUs and labels, inbound plans and receipts, pallets and putaway, and the
real-time stock query and export (S2.4-S2.8)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from peakguard.deps import CanOperateWarehouse, Now, SessionDep
from peakguard.export_safety import for_excel
from peakguard.idempotency import IdempotencyKeyDep, remember, replay
from peakguard.limits import Id, Term
from peakguard.plan.service import current_plan
from peakguard.warehouse import inbound, skus, stock
from peakguard.warehouse.api.deps import OperatorOrClient
from peakguard.warehouse.models import InboundPlan
from peakguard.warehouse.schemas import (
    DiscrepancyOut,
    InboundIn,
    InboundLineOut,
    InboundOut,
    LocationOut,
    PalletIn,
    PalletOut,
    PutawayIn,
    ReceiptIn,
    ReceiptOut,
    RelocateIn,
    SkuIn,
    SkuOut,
)

router = APIRouter(prefix="/api/v1/warehouse", tags=["warehouse"])
LABEL_FORMAT = Query("pdf", pattern="^(pdf|zpl)$")


def label_response(body: bytes | str, name: str) -> Response:
    if isinstance(body, bytes):
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
        )
    return Response(body, media_type="text/plain; charset=utf-8")


@router.post("/skus", response_model=SkuOut, status_code=201)
def create_sku(
    body: SkuIn,
    actor: OperatorOrClient,
    session: SessionDep,
    now: Now,
    key: IdempotencyKeyDep,
) -> object:
    """A SKU; an existing EAN-13/UPC-A code is checked, none gets a Code128 code (S2.6)."""
    if (answer := replay(session, actor, key)) is not None:
        return answer
    made = skus.create_sku(session, actor, now, **body.model_dump())
    return remember(session, actor, now, key, SkuOut.model_validate(made), 201)


@router.get("/skus", response_model=list[SkuOut])
def list_skus(actor: OperatorOrClient, session: SessionDep, client_id: Id | None = None) -> object:
    return skus.list_skus(session, actor, client_id)


@router.get("/skus/{sku_id}", response_model=SkuOut)
def get_sku(sku_id: Id, actor: OperatorOrClient, session: SessionDep) -> object:
    return skus.get_sku(session, actor, sku_id)


@router.get("/skus/{sku_id}/label")
def sku_label(
    sku_id: Id,
    actor: CanOperateWarehouse,
    session: SessionDep,
    now: Now,
    format: Term = LABEL_FORMAT,
) -> Response:
    """The 60 x 40 mm product label as PDF or ZPL (billed as one label)."""
    return label_response(
        skus.sku_label(session, actor, now, current_plan(), sku_id, fmt=format), f"sku-{sku_id}"
    )


def _plan_out(session: Session, plan: InboundPlan) -> InboundOut:
    out = InboundOut.model_validate(plan)
    out.lines = [
        InboundLineOut(
            sku=sku.code,
            barcode=sku.barcode,
            expected=line.expected,
            received=line.received,
            failed=line.failed,
        )
        for line, sku in inbound.plan_lines(session, plan)
    ]
    return out


@router.post("/inbound", response_model=InboundOut, status_code=201)
def create_plan(body: InboundIn, actor: OperatorOrClient, session: SessionDep, now: Now) -> object:
    lines = [inbound.PlanLineIn(ln.sku, ln.expected) for ln in body.lines]
    plan = inbound.create_plan(session, actor, now, client_id=body.client_id, lines=lines, notes=body.notes)
    return _plan_out(session, plan)


@router.get("/inbound", response_model=list[InboundOut])
def list_plans(actor: OperatorOrClient, session: SessionDep, client_id: Id | None = None) -> object:
    return inbound.list_plans(session, actor, client_id)


@router.get("/inbound/{plan_id}", response_model=InboundOut)
def get_plan(plan_id: Id, actor: OperatorOrClient, session: SessionDep) -> object:
    return _plan_out(session, inbound.get_plan(session, actor, plan_id))


@router.post("/inbound/{plan_id}/receipts", response_model=ReceiptOut, status_code=201)
def receive(
    plan_id: Id, body: ReceiptIn, actor: CanOperateWarehouse, session: SessionDep, now: Now
) -> object:
    """A dock scan with quantity and QC result (S2.5, S2.6)."""
    return inbound.receive(session, actor, now, plan_id=plan_id, **body.model_dump())


@router.post("/inbound/{plan_id}/close", response_model=list[DiscrepancyOut])
def close_plan(plan_id: Id, actor: CanOperateWarehouse, session: SessionDep, now: Now) -> object:
    """Finish receiving; answers the lines that differ from the plan."""
    found = inbound.close_plan(session, actor, now, current_plan(), plan_id)
    return [
        DiscrepancyOut(
            sku=d.sku, expected=d.expected, received=d.received, failed=d.failed, difference=d.difference
        )
        for d in found
    ]


@router.post("/pallets", response_model=PalletOut, status_code=201)
def palletize(body: PalletIn, actor: CanOperateWarehouse, session: SessionDep, now: Now) -> object:
    items = [inbound.PalletItem(it.sku, it.quantity) for it in body.items]
    return inbound.palletize(session, actor, now, client_id=body.client_id, items=items)


@router.get("/pallets/{pallet_id}/suggest", response_model=LocationOut)
def suggest(pallet_id: Id, actor: CanOperateWarehouse, session: SessionDep) -> object:
    """Where the pallet should go (S2.7)."""
    return inbound.suggest_location(session, actor, pallet_id)


@router.post("/pallets/{pallet_id}/putaway", response_model=PalletOut)
def putaway(
    pallet_id: Id, body: PutawayIn, actor: CanOperateWarehouse, session: SessionDep, now: Now
) -> object:
    """The suggested location, or another one with ``override`` by a supervisor; never another
    client's bay, nor a shared bay for a client with dedicated storage (S2.3, S2.7)."""
    return inbound.putaway(
        session, actor, now, pallet_id=pallet_id, location_code=body.location, override=body.override
    )


@router.get("/pallets/{pallet_id}/label")
def pallet_label(
    pallet_id: Id, actor: CanOperateWarehouse, session: SessionDep, format: Term = LABEL_FORMAT
) -> Response:
    return label_response(inbound.pallet_label(session, actor, pallet_id, format), f"pallet-{pallet_id}")


@router.post("/stock/relocate", status_code=204)
def relocate(body: RelocateIn, actor: CanOperateWarehouse, session: SessionDep, now: Now) -> None:
    """Move unreserved stock between locations (S2.5)."""
    inbound.relocate(session, actor, now, **body.model_dump())


@router.get("/stock", response_model=list[stock.StockRow])
def stock_query(
    actor: OperatorOrClient, session: SessionDep, client_id: Id | None = None, sku: Term | None = None
) -> object:
    """Real-time stock per SKU and place (S2.8); a client sees its own only."""
    return stock.query(session, actor, client_id, sku)


@router.get("/stock/export")
def stock_export(
    actor: OperatorOrClient,
    session: SessionDep,
    format: Term = Query("csv", pattern="^(csv|ndjson)$"),
    client_id: Id | None = None,
) -> Response:
    body = stock.export(stock.query(session, actor, client_id), format)
    if format == "csv":
        return Response(for_excel(body), media_type="text/csv; charset=utf-8")
    return Response(body, media_type="application/x-ndjson")
