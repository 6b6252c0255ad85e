"""Routes for clients, bays, locations, access, leases, prices and invoices (S2.1, S2.3, S2.7)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from peakguard.deps import CanManageWarehouse, CanOperateWarehouse, Now, SessionDep
from peakguard.export_safety import for_excel
from peakguard.i18n import normalise
from peakguard.idempotency import IdempotencyKeyDep, remember, replay
from peakguard.limits import Id, Term
from peakguard.plan.service import current_plan
from peakguard.warehouse import billing, clients, leases
from peakguard.warehouse.api.deps import OperatorOrClient
from peakguard.warehouse.models import Invoice
from peakguard.warehouse.schemas import (
    AccessOut,
    BayIn,
    BayOut,
    ClientIn,
    ClientOut,
    GrantIn,
    InvoiceIn,
    InvoiceLineOut,
    InvoiceOut,
    LeaseChangeIn,
    LeaseEndIn,
    LeaseIn,
    LeaseOut,
    LocationOut,
    LocationsIn,
    PriceIn,
)

router = APIRouter(prefix="/api/v1/warehouse", tags=["warehouse"])


@router.post("/clients", response_model=ClientOut, status_code=201)
def create_client(
    body: ClientIn,
    actor: CanManageWarehouse,
    session: SessionDep,
    now: Now,
    key: IdempotencyKeyDep,
) -> object:
    if (answer := replay(session, actor, key)) is not None:
        return answer
    made = clients.create_client(session, actor, now, **body.model_dump())
    return remember(session, actor, now, key, ClientOut.model_validate(made), 201)


@router.get("/clients", response_model=list[ClientOut])
def list_clients(actor: OperatorOrClient, session: SessionDep) -> object:
    return clients.list_clients(session, actor)


@router.get("/clients/{client_id}", response_model=ClientOut)
def get_client(client_id: Id, actor: OperatorOrClient, session: SessionDep) -> object:
    return clients.get_client(session, actor, client_id)


@router.post("/bays", response_model=BayOut, status_code=201)
def create_bay(body: BayIn, actor: CanManageWarehouse, session: SessionDep, now: Now) -> object:
    return clients.create_bay(session, actor, now, **body.model_dump())


@router.get("/bays", response_model=list[BayOut])
def list_bays(_: CanOperateWarehouse, session: SessionDep) -> object:
    return clients.list_bays(session)


@router.post("/bays/{bay_id}/locations", response_model=list[LocationOut], status_code=201)
def create_locations(
    bay_id: Id, body: LocationsIn, actor: CanManageWarehouse, session: SessionDep, now: Now
) -> object:
    return clients.create_locations(session, actor, now, bay_id=bay_id, **body.model_dump())


@router.get("/locations", response_model=list[LocationOut])
def list_locations(_: CanOperateWarehouse, session: SessionDep, bay_id: Id | None = None) -> object:
    return clients.list_locations(session, bay_id)


@router.post("/bays/{bay_id}/grants", status_code=201)
def grant(
    bay_id: Id, body: GrantIn, actor: CanManageWarehouse, session: SessionDep, now: Now
) -> dict[str, int]:
    row = clients.grant(session, actor, now, bay_id=bay_id, client_id=body.client_id)
    return {"bay_id": row.bay_id, "client_id": row.client_id}


@router.post("/bays/{bay_id}/open", response_model=AccessOut, status_code=201)
def open_bay(bay_id: Id, actor: OperatorOrClient, session: SessionDep, now: Now) -> object:
    """Log an opening of the bay (S2.3); a client opens only bays granted to it."""
    return clients.open_bay(session, actor, now, bay_id)


@router.get("/access-log", response_model=list[AccessOut])
def access_log(actor: OperatorOrClient, session: SessionDep, bay_id: Id | None = None) -> object:
    return clients.access_log(session, actor, bay_id)


@router.post("/leases", response_model=LeaseOut, status_code=201)
def create_lease(body: LeaseIn, actor: CanManageWarehouse, session: SessionDep, now: Now) -> object:
    return leases.create_lease(session, actor, now, current_plan(), **body.model_dump())


@router.get("/leases", response_model=list[LeaseOut])
def list_leases(actor: OperatorOrClient, session: SessionDep, client_id: Id | None = None) -> object:
    return leases.list_leases(session, actor, client_id)


@router.post("/leases/{lease_id}/change", response_model=LeaseOut, status_code=201)
def change_lease(
    lease_id: Id, body: LeaseChangeIn, actor: CanManageWarehouse, session: SessionDep, now: Now
) -> object:
    return leases.change_lease(session, actor, now, current_plan(), lease_id, **body.model_dump())


@router.post("/leases/{lease_id}/end", response_model=LeaseOut)
def end_lease(
    lease_id: Id, body: LeaseEndIn, actor: CanManageWarehouse, session: SessionDep, now: Now
) -> object:
    return leases.end_lease(session, actor, now, current_plan(), lease_id, day=body.day)


@router.get("/prices")
def prices(_: OperatorOrClient, session: SessionDep) -> dict[str, str]:
    return {code: Term(amount) for code, amount in billing.price_list(session).items()}


@router.put("/prices/{code}")
def set_price(
    code: Term, body: PriceIn, actor: CanManageWarehouse, session: SessionDep, now: Now
) -> dict[str, str]:
    price = billing.set_price(session, actor, now, code=code, amount=body.amount)
    return {"code": price.code, "amount": str(price.amount)}


def _invoice_out(session: Session, invoice: Invoice) -> InvoiceOut:
    out = InvoiceOut.model_validate(invoice)
    out.lines = [InvoiceLineOut.model_validate(ln) for ln in billing.invoice_lines(session, invoice)]
    return out


@router.post("/invoices", response_model=InvoiceOut, status_code=201)
def issue_invoice(body: InvoiceIn, actor: CanManageWarehouse, session: SessionDep, now: Now) -> object:
    invoice = billing.issue_invoice(
        session, actor, now, current_plan(), client_id=body.client_id, month=body.month
    )
    session.flush()
    return _invoice_out(session, invoice)


@router.get("/invoices", response_model=list[InvoiceOut])
def list_invoices(actor: OperatorOrClient, session: SessionDep, client_id: Id | None = None) -> object:
    return billing.list_invoices(session, actor, client_id)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
def get_invoice(invoice_id: Id, actor: OperatorOrClient, session: SessionDep) -> object:
    return _invoice_out(session, billing.get_invoice(session, actor, invoice_id))


@router.get("/invoices/{invoice_id}/export")
def export_invoice(
    invoice_id: Id,
    actor: OperatorOrClient,
    session: SessionDep,
    format: Term = Query("csv", pattern="^(csv|pdf)$"),
    lang: Term = "zh_CN",
) -> Response:
    """The invoice as CSV or PDF (S2.1)."""
    invoice = billing.get_invoice(session, actor, invoice_id)
    name = f"invoice-{invoice.client_id}-{invoice.month}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "pdf":
        return Response(
            billing.invoice_pdf(session, invoice, normalise(lang)),
            media_type="application/pdf",
            headers=headers,
        )
    return Response(
        for_excel(billing.invoice_csv(session, invoice, normalise(lang))),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )
