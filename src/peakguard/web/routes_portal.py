"""The client portal (S2.8, role ``client``): a shop's own stock in real time (products by name),
its own orders and invoices, and the incidents that touch its parcels or orders with the
handler's updates (issue 17), nothing else. Every read goes through the warehouse services with
the viewer as actor, so another client's page is a 404, exactly as in the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from peakguard.deps import SessionDep
from peakguard.limits import Id
from peakguard.plan.service import current_plan
from peakguard.stakeholders import service as stakeholders
from peakguard.warehouse import billing, clients, outbound, skus, stock
from peakguard.web.errors import error_page
from peakguard.web.security import PageWarehouseClient, Viewer
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
TABS = ("stock", "orders", "invoices", "incidents")
POLL_SECONDS = 5


@router.get("/portal")
def portal(request: Request, viewer: PageWarehouseClient, session: SessionDep) -> Response:
    """A client lands on its own stock; staff who may see every client choose one."""
    if viewer.user.client_id is not None:
        return RedirectResponse(f"/portal/{viewer.user.client_id}/stock", status_code=303)
    return render(request, "portal_clients.html", viewer, clients=clients.list_clients(session, viewer.actor))


def _tab(session: Session, viewer: Viewer, client_id: Id, tab: str) -> dict[str, Any]:
    client = clients.get_client(session, viewer.actor, client_id)
    context: dict[str, Any] = {"client": client, "tab": tab, "poll": POLL_SECONDS}
    if tab == "stock":
        context["rows"] = stock.query(session, viewer.actor, client_id)
        context["totals"] = stock.totals(session, viewer.actor, client_id)
        context["products"] = {sku.code: sku.name for sku in skus.list_skus(session, viewer.actor, client_id)}
    elif tab == "orders":
        context["orders"] = outbound.list_orders(session, viewer.actor, client_id)
    elif tab == "incidents":  # issue 17: the incidents touching its parcels or orders, and the updates
        context["incidents"] = stakeholders.for_client(session, viewer.actor, client_id)
        context["plan"] = current_plan()
    else:
        context["invoices"] = billing.list_invoices(session, viewer.actor, client_id)
    return context


@router.get("/portal/{client_id}/stock/live")
def stock_live(request: Request, client_id: Id, viewer: PageWarehouseClient, session: SessionDep) -> Response:
    """The stock table alone, polled so the shop sees every move as it happens (S2.8)."""
    return render(request, "_portal_stock.html", viewer, **_tab(session, viewer, client_id, "stock"))


@router.get("/portal/{client_id}/{tab}")
def portal_tab(
    request: Request,
    client_id: Id,
    tab: str,
    viewer: PageWarehouseClient,
    session: SessionDep,
) -> Response:
    if tab not in TABS:
        return error_page(request, 404)
    return render(request, "portal.html", viewer, **_tab(session, viewer, client_id, tab))
