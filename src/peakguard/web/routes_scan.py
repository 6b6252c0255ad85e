"""Warehouse scanner pages sized for a phone (S2.5, S2.9): receive, putaway, pick, pack.

A keyboard-wedge scanner types into the focused field and presses Enter; the page answers at
once in big type, green for right, red with the reason for wrong, and moves to the next task.
Every field is a form that Enter submits, and a scan of the wrong kind (an order ref in the
wave field, a location as a pallet, ``abc`` as a plan, a number that names nothing) is answered
in red on the same page with the field focused again: never an error page, which would leave
an operator with a scanner and no mouse stranded. The form posts by HTMX and swaps only the
scanner panel (and works as a plain form without JavaScript). Every rule about a scan (the
wrong location or item, a misread check digit, an over-receipt, a closed plan, a location
other than the suggested one) is the warehouse service's: the page runs the service call in a
savepoint (``web.actions.in_savepoint``) and shows its refusal in the operator's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.auth.roles import Perm
from peakguard.deps import Now, SessionDep
from peakguard.errors import DomainError, InvalidInput
from peakguard.i18n import gettext, translator
from peakguard.limits import Id, Line, Term
from peakguard.plan.service import current_plan
from peakguard.printing import documents
from peakguard.printing import service as printers
from peakguard.warehouse import floor, inbound, outbound, picking
from peakguard.warehouse.models import InboundPlan, Order, Package, Pallet, Wave
from peakguard.web.actions import in_savepoint
from peakguard.web.errors import page_message
from peakguard.web.security import CSRF, PageCanOperateWarehouse, PageCanPrint, Viewer
from peakguard.web.templating import carrier_name, render

router = APIRouter(include_in_schema=False)
LARGEST_ID = 2**31 - 1
"""Ids are 32-bit integers in PostgreSQL: a longer number names nothing (and must not reach it)."""


@dataclass(frozen=True)
class Answer:
    right: bool
    text: str


def _show(request: Request, viewer: Viewer, page: str, here: str, **context: Any) -> Response:
    """The scanner panel alone for an HTMX post, the whole page otherwise; ``here`` is where the
    language switch comes back to, so switching keeps the wave, plan, pallet or order."""
    template = f"_scan_{page}.html" if request.headers.get("hx-request") else "scan_task.html"
    return render(request, template, viewer, scanner=page, here=here, **context)


def _refusal(viewer: Viewer, refused: DomainError | None) -> Answer | None:
    """The service's refusal as a red answer: for bad input the reason alone (the page has one
    field, so the field's name adds nothing), else the page's usual message."""
    if refused is None:
        return None
    if isinstance(refused, InvalidInput):
        return Answer(False, refused.reason_in(translator(viewer.lang)))
    return Answer(False, page_message(viewer.lang, refused))


def _wrong(viewer: Viewer, message: str, **values: object) -> Answer:
    return Answer(False, gettext(viewer.lang, message, **values))


def number_of(code: str) -> int | None:
    """A scanned or typed id: digits only, and small enough to be one."""
    code = code.strip()
    return int(code) if code.isdigit() and int(code) <= LARGEST_ID else None


@router.get("/scan")
def scan_menu(request: Request, viewer: PageCanOperateWarehouse, session: SessionDep) -> Response:
    """The four tasks, and under each the open work to pick from (S2.5, S2.9)."""
    return render(request, "scan_menu.html", viewer, work=floor.open_work(session))


# --- pick (S2.9) -------------------------------------------------------------------------------


def _wave_of(session: Session, viewer: Viewer, code: str) -> tuple[int | None, Answer | None]:
    number = number_of(code)
    if number is None:
        return None, _wrong(viewer, "Not a wave number: {code}", code=code.strip())
    if session.get(Wave, number) is None:
        return None, _wrong(viewer, "Wave {n} does not exist", n=number)
    return number, None


def _pick_here(wave: int | None) -> str:
    return f"/scan/pick?wave={wave}" if wave else "/scan/pick"


@router.get("/scan/pick")
def pick_page(
    request: Request,
    viewer: PageCanOperateWarehouse,
    session: SessionDep,
    wave: Term = "",
) -> Response:
    wave_id, answer = _wave_of(session, viewer, wave) if wave.strip() else (None, None)
    task = picking.next_task(session, wave_id) if wave_id is not None else None
    return render(
        request,
        "scan_task.html",
        viewer,
        scanner="pick",
        here=_pick_here(wave_id),
        wave=wave_id,
        task=task,
        location="",
        answer=answer,
    )


@router.post("/scan/pick/{wave_id}", dependencies=[CSRF])
def pick_scan(
    request: Request,
    wave_id: Id,
    viewer: PageCanOperateWarehouse,
    session: SessionDep,
    now: Now,
    task_id: Annotated[Id, Form()] = 0,
    location: Annotated[str, Line(40), Form()] = "",
    code: Annotated[str, Line(80), Form()] = "",
) -> Response:
    """First the location, then the item: each scan is answered before the next."""
    lang, code, here = viewer.lang, code.strip(), _pick_here(wave_id)
    answer: Answer | None
    task, refused = in_savepoint(session, lambda: picking.get_task(session, task_id))
    answer = _refusal(viewer, refused)
    if task is None or task.status != "open" or task_id and task.wave_id != wave_id:
        if session.get(Wave, wave_id) is None:
            answer = _wrong(viewer, "Wave {n} does not exist", n=wave_id)
            return _show(
                request, viewer, "pick", "/scan/pick", wave=None, task=None, location="", answer=answer
            )
        task = picking.next_task(session, wave_id)
        return _show(request, viewer, "pick", here, wave=wave_id, task=task, location="", answer=answer)
    if not location:
        _, refused = in_savepoint(session, lambda: picking.check_location(task, code))
        if refused is None:
            location = code
            answer = Answer(True, gettext(lang, "Location {code} ✓ Now scan the item", code=code))
        else:
            answer = _refusal(viewer, refused)
        return _show(request, viewer, "pick", here, wave=wave_id, task=task, location=location, answer=answer)
    result, refused = in_savepoint(
        session, lambda: picking.scan_confirm(session, viewer.actor, now, task.id, location, code, 1)
    )
    if result is None:
        answer = _refusal(viewer, refused)
        return _show(request, viewer, "pick", here, wave=wave_id, task=task, location=location, answer=answer)
    done = result.task
    answer = Answer(
        True,
        gettext(
            lang, "✓ {sku}: {picked} of {quantity}", sku=done.sku, picked=done.picked, quantity=done.quantity
        ),
    )
    following = result.next_task
    keep = location if following is not None and following.location == location else ""
    return _show(request, viewer, "pick", here, wave=wave_id, task=following, location=keep, answer=answer)


# --- receive (S2.5, S2.6) ----------------------------------------------------------------------


def _receive_context(session: Session, plan: InboundPlan | None) -> dict[str, Any]:
    return {"plan": plan, "lines": inbound.plan_lines(session, plan) if plan else []}


def _plan_of(session: Session, viewer: Viewer, code: str) -> tuple[InboundPlan | None, Answer | None]:
    """The inbound plan a scan names, or why it names none (a closed plan takes no receipts)."""
    number = number_of(code)
    if number is None:
        return None, _wrong(viewer, "Not an inbound plan number: {code}", code=code.strip())
    plan, refused = in_savepoint(session, lambda: inbound.open_plan(session, viewer.actor, number))
    return plan, _refusal(viewer, refused)


@router.get("/scan/receive")
def receive_page(
    request: Request,
    viewer: PageCanOperateWarehouse,
    session: SessionDep,
    plan: Term = "",
) -> Response:
    found, answer = _plan_of(session, viewer, plan) if plan.strip() else (None, None)
    here = f"/scan/receive?plan={found.id}" if found else "/scan/receive"
    return render(
        request,
        "scan_task.html",
        viewer,
        scanner="receive",
        here=here,
        answer=answer,
        **_receive_context(session, found),
    )


@router.post("/scan/receive/{plan_id}", dependencies=[CSRF])
def receive_scan(
    request: Request,
    plan_id: Id,
    viewer: PageCanOperateWarehouse,
    session: SessionDep,
    now: Now,
    code: Annotated[str, Line(80), Form()] = "",
    qc: Annotated[str, Line(8), Form()] = "pass",
    reason: Annotated[str, Line(200), Form()] = "",
) -> Response:
    """One scan receives one unit of the item on the plan; a QC failure needs its reason; a
    unit more than the plan expects is refused at the dock (S2.5)."""
    code = code.strip()
    plan, answer = _plan_of(session, viewer, str(plan_id))
    here = f"/scan/receive?plan={plan_id}" if plan else "/scan/receive"
    if plan is None:
        return _show(request, viewer, "receive", here, answer=answer, **_receive_context(session, None))
    receipt, refused = in_savepoint(
        session,
        lambda: inbound.receive(
            session, viewer.actor, now, plan_id=plan_id, barcode=code, quantity=1, qc=qc, reason=reason
        ),
    )
    context = _receive_context(session, plan)
    answer = _refusal(viewer, refused)
    if receipt is not None:
        line, sku = next((ln, sku) for ln, sku in context["lines"] if ln.id == receipt.line_id)
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
    return _show(request, viewer, "receive", here, answer=answer, **context)


# --- putaway (S2.5, S2.7) ----------------------------------------------------------------------


def pallet_id_of(code: str) -> int | None:
    """A scanned license plate (``LP0000000042``) or a typed pallet number."""
    return number_of(code.strip().upper().removeprefix("LP"))


def _putaway_context(session: Session, viewer: Viewer, pallet: Pallet | None) -> dict[str, Any]:
    if pallet is None:
        return {"pallet": None, "suggested": None, "answer": None, "offer": None}
    suggested, answer = (
        (None, None)
        if pallet.location_id
        else in_savepoint(session, lambda: inbound.suggest_location(session, viewer.actor, pallet.id))
    )
    return {"pallet": pallet, "suggested": suggested, "answer": _refusal(viewer, answer), "offer": None}


def _pallet_of(session: Session, viewer: Viewer, code: str) -> tuple[Pallet | None, Answer | None]:
    number = pallet_id_of(code)
    if number is None:
        return None, _wrong(viewer, "Not a pallet label: {code}", code=code.strip())
    pallet, _ = in_savepoint(session, lambda: inbound.get_pallet(session, viewer.actor, number))
    if pallet is None:
        return None, _wrong(viewer, "No pallet {code}", code=code.strip())
    return pallet, None


def _putaway_here(pallet: Pallet | None) -> str:
    return f"/scan/putaway?pallet={pallet.code}" if pallet else "/scan/putaway"


@router.get("/scan/putaway")
def putaway_page(
    request: Request, viewer: PageCanOperateWarehouse, session: SessionDep, pallet: Term = ""
) -> Response:
    found, wrong = _pallet_of(session, viewer, pallet) if pallet.strip() else (None, None)
    context = _putaway_context(session, viewer, found)
    if wrong is not None:
        context["answer"] = wrong
    return render(
        request, "scan_task.html", viewer, scanner="putaway", here=_putaway_here(found), **context
    )


@router.post("/scan/putaway/{pallet_id}", dependencies=[CSRF])
def putaway_scan(
    request: Request,
    pallet_id: Id,
    viewer: PageCanOperateWarehouse,
    session: SessionDep,
    now: Now,
    code: Annotated[str, Line(80), Form()] = "",
    override: Annotated[str, Line(8), Form()] = "",
) -> Response:
    """The suggested location puts the pallet away. Another location is refused in red; a
    supervisor is then offered an explicit override (a second, deliberate press), which the
    service still refuses for another client's bay or a shared bay of a dedicated client."""
    code, forced = code.strip(), override == "1"
    pallet, wrong = _pallet_of(session, viewer, str(pallet_id))
    context = _putaway_context(session, viewer, pallet)
    here = _putaway_here(pallet)
    if pallet is None:
        return _show(request, viewer, "putaway", here, **{**context, "answer": wrong})
    done, refused = in_savepoint(
        session,
        lambda: inbound.putaway(
            session, viewer.actor, now, pallet_id=pallet.id, location_code=code, override=forced
        ),
    )
    if done is None:
        if refused is not None and refused.msgid == inbound.NOT_SUGGESTED:
            context["offer"] = code if viewer.can(Perm.WAREHOUSE_MANAGE) else None
        return _show(request, viewer, "putaway", here, **{**context, "answer": _refusal(viewer, refused)})
    answer = Answer(
        True, gettext(viewer.lang, "✓ {pallet} is at {location}", pallet=done.code, location=code)
    )
    return _show(
        request, viewer, "putaway", "/scan/putaway", pallet=None, suggested=None, offer=None, answer=answer
    )


# --- pack (S2.9, S2.11) ------------------------------------------------------------------------


def _order_of(session: Session, viewer: Viewer, code: str) -> tuple[Order | None, Answer | None]:
    """An order by its number or, when the scan is not a number of one, by its ref (a ref that
    two clients share is ambiguous and names none)."""
    code = code.strip()
    number = number_of(code)
    found = None
    if number is not None:
        found, _ = in_savepoint(session, lambda: outbound.get_order(session, viewer.actor, number))
    if found is None:
        by_ref = list(session.scalars(select(Order).where(Order.ref == code).limit(2)))
        found = by_ref[0] if len(by_ref) == 1 else None
    if found is None:
        return None, _wrong(viewer, "No order {code}. Scan the order number or its ref.", code=code)
    return found, None


def _pack_context(session: Session, order: Order | None) -> dict[str, Any]:
    if order is None:
        return {"order": None, "lines": [], "package": None}
    package = session.scalar(select(Package).where(Package.order_id == order.id))
    return {"order": order, "lines": outbound.order_lines(session, order.id), "package": package}


def _pack_here(order: Order | None) -> str:
    return f"/scan/pack?order={order.id}" if order else "/scan/pack"


@router.get("/scan/pack")
def pack_page(
    request: Request,
    viewer: PageCanOperateWarehouse,
    session: SessionDep,
    order: Term = "",
) -> Response:
    found, answer = _order_of(session, viewer, order) if order.strip() else (None, None)
    context = _pack_context(session, found)
    if found is not None and context["package"] is None:
        _, refused = in_savepoint(session, lambda: picking.check_packable(found))
        if refused is not None:
            answer, context = _refusal(viewer, refused), _pack_context(session, None)
    return render(
        request,
        "scan_task.html",
        viewer,
        scanner="pack",
        here=_pack_here(context["order"]),
        answer=answer,
        **context,
    )


@router.post("/scan/pack/{order_id}", dependencies=[CSRF])
def pack_scan(
    request: Request,
    order_id: Id,
    viewer: PageCanOperateWarehouse,
    session: SessionDep,
    now: Now,
    weight_kg: Annotated[str, Line(40), Form()] = "",
) -> Response:
    order, answer = _order_of(session, viewer, str(order_id))
    if order is None:
        return _show(request, viewer, "pack", "/scan/pack", answer=answer, **_pack_context(session, None))
    package, refused = in_savepoint(
        session,
        lambda: picking.pack(session, viewer.actor, now, current_plan(), order_id, weight_kg=weight_kg.strip()),
    )
    answer = _refusal(viewer, refused)
    if package is not None:
        answer = Answer(
            True,
            gettext(
                viewer.lang,
                "✓ Packed: {carrier} {tracking}",
                carrier=carrier_name(viewer.lang, package.carrier),
                tracking=package.tracking_no,
            ),
        )
    return _show(request, viewer, "pack", _pack_here(order), answer=answer, **_pack_context(session, order))


@router.post("/scan/pack/{order_id}/print", dependencies=[CSRF])
def print_waybill(
    request: Request,
    order_id: Id,
    viewer: PageCanPrint,
    session: SessionDep,
    now: Now,
) -> Response:
    """Send the packed order's waybill to the least-loaded healthy printer (S1.6); a second
    press answers the job already queued rather than printing a second label. With no printer
    set up, or none working, the page says so in red: the job waits, nothing is printing."""
    queued, refused = in_savepoint(
        session,
        lambda: documents.print_document(session, viewer.actor, now, current_plan(), "waybill", order_id),
    )
    answer = _refusal(viewer, refused)
    if queued is not None:
        job, created = queued
        enabled, working = printers.ready_printers(session)
        if job.status == "queued" and not enabled:
            answer = _wrong(
                viewer, "No printer is set up: the waybill waits in the queue (job {job}).", job=job.id
            )
        elif job.status == "queued" and not working:
            answer = _wrong(
                viewer, "No printer is working now: the waybill waits in the queue (job {job}).", job=job.id
            )
        elif created:
            answer = Answer(
                True, gettext(viewer.lang, "✓ Waybill queued for the printer (job {job})", job=job.id)
            )
        else:
            status = gettext(viewer.lang, job.status)
            text = gettext(viewer.lang, "Already queued: job {job}, {status}", job=job.id, status=status)
            answer = Answer(True, text)
    order, wrong = _order_of(session, viewer, str(order_id))
    return _show(
        request, viewer, "pack", _pack_here(order), answer=answer or wrong, **_pack_context(session, order)
    )
