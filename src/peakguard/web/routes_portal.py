"""The client portal (S2.8, role ``client``): a shop's own stock in real time, its own orders and
invoices, nothing else. Every read goes through the warehouse services with the viewer as actor,
so another client's page is a 404, exactly as in the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from peakguard.deps import SessionDep
from peakguard.limits import Id
from peakguard.warehouse import billing, clients_service, outbound, stock
from peakguard.web.errors import error_page
from peakguard.web.security import PageWarehouseClient, Viewer
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
TABS = ("stock", "orders", "invoices")
POLL_SECONDS = 5


@router.get("/portal")
def portal(request: Request, viewer: PageWarehouseClient, session: SessionDep) -> Response:
    """A client lands on its own stock; staff who may see every client choose one."""
    if viewer.user.client_id is not None:
        return RedirectResponse(f"/portal/{viewer.user.client_id}/stock", status_code=303)
    return render(
        request, "portal_clients.html", viewer, clients=clients_service.list_clients(session, viewer.actor)
    )


def _tab(session: Session, viewer: Viewer, client_id: Id, tab: str) -> dict[str, Any]:
    client = clients_service.get_client(session, viewer.actor, client_id)
    context: dict[str, Any] = {"client": client, "tab": tab, "poll": POLL_SECONDS}
    if tab == "stock":
        context["rows"] = stock.query(session, viewer.actor, client_id)
        context["totals"] = stock.totals(session, viewer.actor, client_id)
    elif tab == "orders":
        context["orders"] = outbound.list_orders(session, viewer.actor, client_id)
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
