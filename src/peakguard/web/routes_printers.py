"""The printers page (S1.6): every printer with its health in colour (green working, red
failed, grey switched off) and its load, switches to take one out of use or back, a form to
add a CUPS queue, and the print queue with each job's status and where it went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from peakguard.deps import Now, SessionDep
from peakguard.limits import Id, Line, Term
from peakguard.printing import ipp, service
from peakguard.web.actions import attempt
from peakguard.web.security import CSRF, PageCanPrint
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
STATUSES = ("queued", "sending", "sent", "printed", "cancelled")
BACK = "/admin/printers"


@router.get("/admin/printers")
def printers_page(
    request: Request,
    viewer: PageCanPrint,
    session: SessionDep,
    status: Term | None = None,
) -> Response:
    chosen = status if status in STATUSES else None
    printers = service.list_printers(session)
    return render(
        request,
        "admin_printers.html",
        viewer,
        printers=printers,
        names={p.id: p.name for p in printers},
        held=service.loads(session),
        counts=service.by_status(session),
        jobs=service.list_jobs(session, chosen, 200),
        statuses=STATUSES,
        chosen=chosen,
    )


@router.post("/admin/printers", dependencies=[CSRF])
def add_printer(
    request: Request,
    viewer: PageCanPrint,
    session: SessionDep,
    now: Now,
    queue: Annotated[str, Line(127), Form()] = "",
    name: Annotated[str, Line(120), Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: service.add_printer(session, viewer.actor, now, queue, name),
        "Printer added: it is checked within a second",
        BACK,
    )


@router.post("/admin/printers/{printer_id}/switch", dependencies=[CSRF])
def switch(
    request: Request,
    printer_id: Id,
    enabled: Annotated[bool, Form()],
    viewer: PageCanPrint,
    session: SessionDep,
    now: Now,
) -> Response:
    def flip() -> object:
        return service.set_enabled(session, viewer.actor, now, printer_id, enabled)

    if enabled:
        return attempt(request, session, viewer, flip, "Printer in use", BACK)
    return attempt(
        request, session, viewer, flip, "Printer out of use: its waiting jobs move to another", BACK
    )


@router.post("/admin/printers/jobs/{job_id}/cancel", dependencies=[CSRF])
def cancel(
    request: Request,
    job_id: Id,
    viewer: PageCanPrint,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: service.cancel_job(session, viewer.actor, now, job_id, ipp.CupsClient()),
        "Print job cancelled",
        BACK,
    )
