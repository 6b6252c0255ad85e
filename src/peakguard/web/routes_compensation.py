"""The coupon compensation register page (S1.5): every affected order, from the detector or
entered by hand, with its status in colour (registered yellow, paid green), the agreed method
and amount, the totals at a glance, and the export."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from peakguard.auth.roles import Perm
from peakguard.compensation import service
from peakguard.compensation.models import CompensationEntry
from peakguard.deps import Now, SessionDep
from peakguard.limits import Id, Line, Term
from peakguard.web.actions import attempt
from peakguard.web.security import CSRF, PageCanReadIncidents, PageCanWriteIncidents
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
STATUSES = ("registered", "paid")
BACK = "/compensation"


@dataclass(frozen=True)
class Totals:
    orders: int
    paid: int
    agreed: Decimal
    paid_out: Decimal


def totals(entries: list[CompensationEntry]) -> Totals:
    return Totals(
        orders=len(entries),
        paid=sum(1 for e in entries if e.status == "paid"),
        agreed=sum((e.amount or Decimal(0) for e in entries), Decimal(0)),
        paid_out=sum((e.amount or Decimal(0) for e in entries if e.status == "paid"), Decimal(0)),
    )


@router.get("/compensation")
def register_page(
    request: Request,
    viewer: PageCanReadIncidents,
    session: SessionDep,
    status: Term | None = None,
) -> Response:
    chosen = status if status in STATUSES else None
    everything = service.entries(session)
    return render(
        request,
        "compensation.html",
        viewer,
        entries=[e for e in everything if chosen is None or e.status == chosen],
        totals=totals(everything),
        statuses=STATUSES,
        chosen=chosen,
        methods=service.METHODS,
        can_write=viewer.can(Perm.INCIDENTS_WRITE),
    )


@router.post("/compensation", dependencies=[CSRF])
def add_entry(
    request: Request,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    order_id: Annotated[str, Line(80), Form()] = "",
    shop: Annotated[str, Line(64), Form()] = "",
    order_amount: Annotated[str, Line(40), Form()] = "",
) -> Response:
    def add() -> object:
        amount = service.parse_money("order_amount", order_amount) if order_amount.strip() else None
        return service.add(session, viewer.actor, now, order_id=order_id, shop=shop, order_amount=amount)

    return attempt(request, session, viewer, add, "Order added to the register", BACK)


@router.post("/compensation/{entry_id}/terms", dependencies=[CSRF])
def set_terms(
    request: Request,
    entry_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    method: Annotated[str, Line(20), Form()] = "",
    amount: Annotated[str, Line(40), Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: service.set_terms(session, viewer.actor, now, entry_id, method=method, amount=amount),
        "Compensation agreed",
        BACK,
    )


@router.post("/compensation/{entry_id}/paid", dependencies=[CSRF])
def mark_paid(
    request: Request,
    entry_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: service.mark_paid(session, viewer.actor, now, entry_id),
        "Marked paid",
        BACK,
    )
