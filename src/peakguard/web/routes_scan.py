"""Warehouse scanner pages sized for a phone (S2.5, S2.9): receive, putaway, pick, pack.

A keyboard-wedge scanner types into the focused field and presses Enter; the page answers at
once in big type, green for right, red with the reason for wrong, and moves to the next task.
The form posts by HTMX and swaps only the scanner panel (and works as a plain form without
JavaScript). The page checks a scan against the task first, so a wrong location or item is
named in the picker's language; the service then checks again and alone writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.auth.roles import Perm
from peakguard.deps import get_now, get_session
from peakguard.errors import DomainError
from peakguard.i18n import gettext
from peakguard.plan.service import current_plan
from peakguard.printing import documents
from peakguard.warehouse import inbound, outbound, picking
from peakguard.warehouse.models import Package
from peakguard.web.errors import page_message
from peakguard.web.security import CSRF, Viewer, page_user
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
OPERATE = Depends(page_user(Perm.WAREHOUSE_OPERATE))


@dataclass(frozen=True)
class Answer:
    right: bool
    text: str


def _show(request: Request, viewer: Viewer, page: str, **context: Any) -> Response:
    """The scanner panel alone for an HTMX post, the whole page otherwise."""
    template = f"_scan_{page}.html" if request.headers.get("hx-request") else f"scan_{page}.html"
    return render(request, template, viewer, **context)


def _try(session: Session, viewer: Viewer, action: Any) -> tuple[Any, Answer | None]:
    """Run a service call in a savepoint: its result, or a red answer with the reason."""
    try:
        with session.begin_nested():
            return action(), None
    except DomainError as exc:
        return None, Answer(False, page_message(viewer.lang, exc))


@router.get("/scan")
def scan_menu(request: Request, viewer: Viewer = OPERATE) -> Response:
    return render(request, "scan_menu.html", viewer)


# --- pick (S2.9) -------------------------------------------------------------------------------


@router.get("/scan/pick")
def pick_page(
    request: Request,
    wave: int | None = None,
    viewer: Viewer = OPERATE,
    session: Session = Depends(get_session),
) -> Response:
    task = picking.next_task(session, wave) if wave is not None else None
    return render(request, "scan_pick.html", viewer, wave=wave, task=task, location="", answer=None)


@router.post("/scan/pick/{wave_id}", dependencies=[CSRF])
def pick_scan(
    request: Request,
    wave_id: int,
    task_id: int = Form(0),
    location: str = Form(""),
    code: str = Form(""),
    viewer: Viewer = OPERATE,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """First the location, then the item: each scan is answered before the next."""
    lang, code = viewer.lang, code.strip()
    task, answer = _try(session, viewer, lambda: picking.get_task(session, task_id))
    if task is None or task.status != "open":
        task = picking.next_task(session, wave_id)
        return _show(request, viewer, "pick", wave=wave_id, task=task, location="", answer=answer)
    if not location:
        if code == task.location:
            location = code
            answer = Answer(True, gettext(lang, "Location {code} ✓ Now scan the item", code=code))
        else:
            answer = Answer(
                False,
                gettext(
                    lang,
                    "Wrong location: scanned {code}, go to {location}",
                    code=code,
                    location=task.location,
                ),
            )
        return _show(request, viewer, "pick", wave=wave_id, task=task, location=location, answer=answer)
    if code != task.barcode:
        answer = Answer(
            False,
            gettext(
                lang,
                "Wrong item: scanned {code}, the task wants {sku} ({barcode})",
                code=code,
                sku=task.sku,
                barcode=task.barcode,
            ),
        )
        return _show(request, viewer, "pick", wave=wave_id, task=task, location=location, answer=answer)
    result, answer = _try(
        session, viewer, lambda: picking.scan_confirm(session, viewer.actor, now, task.id, location, code, 1)
    )
    if result is None:
        return _show(request, viewer, "pick", wave=wave_id, task=task, location=location, answer=answer)
    done = result.task
    answer = Answer(
        True,
        gettext(
            lang, "✓ {sku}: {picked} of {quantity}", sku=done.sku, picked=done.picked, quantity=done.quantity
        ),
    )
    following = result.next_task
    keep = location if following is not None and following.location == location else ""
    return _show(request, viewer, "pick", wave=wave_id, task=following, location=keep, answer=answer)


# --- receive (S2.5, S2.6) ----------------------------------------------------------------------


def _receive_context(session: Session, viewer: Viewer, plan_id: int | None) -> dict[str, Any]:
    if plan_id is None:
        return {"plan": None, "lines": []}
    plan = inbound.get_plan(session, viewer.actor, plan_id)
    return {"plan": plan, "lines": inbound.plan_lines(session, plan)}


@router.get("/scan/receive")
def receive_page(
    request: Request,
    plan: int | None = None,
    viewer: Viewer = OPERATE,
    session: Session = Depends(get_session),
) -> Response:
    return render(
        request, "scan_receive.html", viewer, answer=None, **_receive_context(session, viewer, plan)
    )


@router.post("/scan/receive/{plan_id}", dependencies=[CSRF])
def receive_scan(
    request: Request,
    plan_id: int,
    code: str = Form(""),
    qc: str = Form("pass"),
    reason: str = Form(""),
    viewer: Viewer = OPERATE,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """One scan receives one unit of the item on the plan; a QC failure needs its reason."""
    code = code.strip()
    context = _receive_context(session, viewer, plan_id)
    line = next((ln for ln, sku in context["lines"] if sku.barcode == code), None)
    if line is None:
        wrong = Answer(False, gettext(viewer.lang, "{code} is not on this inbound plan", code=code))
        return _show(request, viewer, "receive", answer=wrong, **context)
    receipt, answer = _try(
        session,
        viewer,
        lambda: inbound.receive(
            session, viewer.actor, now, plan_id=plan_id, barcode=code, quantity=1, qc=qc, reason=reason
        ),
    )
    if receipt is not None:
        sku = next(s for ln, s in context["lines"] if ln.id == line.id)
        text = (
            gettext(
                viewer.lang,
                "✓ {sku}: {received} of {expected}",
                sku=sku.code,
                received=line.received,
                expected=line.expected,
            )
            if qc == "pass"
            else gettext(viewer.lang, "✓ {sku}: held for QC ({reason})", sku=sku.code, reason=reason.strip())
        )
        answer = Answer(True, text)
    return _show(request, viewer, "receive", answer=answer, **context)


# --- putaway (S2.5, S2.7) ----------------------------------------------------------------------


def pallet_id_of(code: str) -> int | None:
    """A scanned license plate (``LP0000000042``) or a typed pallet number."""
    code = code.strip().upper().removeprefix("LP")
    return int(code) if code.isdigit() else None


def _putaway_context(session: Session, viewer: Viewer, pallet_id: int | None) -> dict[str, Any]:
    if pallet_id is None:
        return {"pallet": None, "suggested": None, "answer": None}
    pallet = inbound.get_pallet(session, viewer.actor, pallet_id)
    suggested, answer = (
        (None, None)
        if pallet.location_id
        else _try(session, viewer, lambda: inbound.suggest_location(session, viewer.actor, pallet.id))
    )
    return {"pallet": pallet, "suggested": suggested, "answer": answer}


@router.get("/scan/putaway")
def putaway_page(
    request: Request, pallet: str = "", viewer: Viewer = OPERATE, session: Session = Depends(get_session)
) -> Response:
    pallet_id = pallet_id_of(pallet) if pallet else None
    context = _putaway_context(session, viewer, pallet_id)
    if pallet and pallet_id is None:
        context["answer"] = Answer(False, gettext(viewer.lang, "Not a pallet label: {code}", code=pallet))
    return render(request, "scan_putaway.html", viewer, **context)


@router.post("/scan/putaway/{pallet_id}", dependencies=[CSRF])
def putaway_scan(
    request: Request,
    pallet_id: int,
    code: str = Form(""),
    viewer: Viewer = OPERATE,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    done, answer = _try(
        session,
        viewer,
        lambda: inbound.putaway(session, viewer.actor, now, pallet_id=pallet_id, location_code=code),
    )
    if done is None:
        context = _putaway_context(session, viewer, pallet_id)
        return _show(request, viewer, "putaway", **{**context, "answer": answer})
    answer = Answer(
        True, gettext(viewer.lang, "✓ {pallet} is at {location}", pallet=done.code, location=code.strip())
    )
    return _show(request, viewer, "putaway", pallet=None, suggested=None, answer=answer)


# --- pack (S2.9, S2.11) ------------------------------------------------------------------------


@router.get("/scan/pack")
def pack_page(
    request: Request,
    order: int | None = None,
    viewer: Viewer = OPERATE,
    session: Session = Depends(get_session),
) -> Response:
    found = outbound.get_order(session, viewer.actor, order) if order is not None else None
    lines = outbound.order_lines(session, found.id) if found else []
    return render(request, "scan_pack.html", viewer, order=found, lines=lines, answer=None, package=None)


@router.post("/scan/pack/{order_id}", dependencies=[CSRF])
def pack_scan(
    request: Request,
    order_id: int,
    weight_kg: str = Form(""),
    viewer: Viewer = OPERATE,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    package, answer = _try(
        session,
        viewer,
        lambda: picking.pack(
            session, viewer.actor, now, current_plan(), order_id, weight_kg=weight_kg.strip()
        ),
    )
    order = outbound.get_order(session, viewer.actor, order_id)
    if package is not None:
        answer = Answer(
            True,
            gettext(
                viewer.lang,
                "✓ Packed: {carrier} {tracking}",
                carrier=package.carrier,
                tracking=package.tracking_no,
            ),
        )
    lines = outbound.order_lines(session, order.id)
    return _show(request, viewer, "pack", order=order, lines=lines, answer=answer, package=package)


@router.post("/scan/pack/{order_id}/print", dependencies=[CSRF])
def print_waybill(
    request: Request,
    order_id: int,
    viewer: Viewer = Depends(page_user(Perm.PRINTING)),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """Send the packed order's waybill to the least-loaded healthy printer (S1.6); a second
    press answers the job already queued rather than printing a second label."""
    queued, answer = _try(
        session,
        viewer,
        lambda: documents.print_document(session, viewer.actor, now, current_plan(), "waybill", order_id),
    )
    if queued is not None:
        job, created = queued
        if created:
            text = gettext(viewer.lang, "✓ Waybill sent to the printer (job {job})", job=job.id)
        else:
            status = gettext(viewer.lang, job.status)
            text = gettext(viewer.lang, "Already queued: job {job}, {status}", job=job.id, status=status)
        answer = Answer(True, text)
    order = outbound.get_order(session, viewer.actor, order_id)
    package = session.scalar(select(Package).where(Package.order_id == order.id))
    lines = outbound.order_lines(session, order.id)
    return _show(request, viewer, "pack", order=order, lines=lines, answer=answer, package=package)
