"""Printing routes (S1.6): printers and their health, the print queue, and each job's trail."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from peakguard.deps import CanPrint, Now, SessionDep
from peakguard.limits import Id, Term
from peakguard.plan.service import current_plan
from peakguard.printing import documents, ipp, service
from peakguard.printing.schemas import JobDetailOut, JobOut, PrinterIn, PrinterOut, PrintIn

router = APIRouter(prefix="/api/v1/printing", tags=["printing"])


@router.get("/printers", response_model=list[PrinterOut])
def printers(_: CanPrint, session: SessionDep) -> object:
    return service.list_printers(session)


@router.post("/printers", response_model=PrinterOut, status_code=201)
def add_printer(body: PrinterIn, actor: CanPrint, session: SessionDep, now: Now) -> object:
    return service.add_printer(session, actor, now, body.queue, body.name)


@router.post("/printers/{printer_id}/enable", response_model=PrinterOut)
def enable(printer_id: Id, actor: CanPrint, session: SessionDep, now: Now) -> object:
    return service.set_enabled(session, actor, now, printer_id, True)


@router.post("/printers/{printer_id}/disable", response_model=PrinterOut)
def disable(printer_id: Id, actor: CanPrint, session: SessionDep, now: Now) -> object:
    """Take a printer out of use; its unprinted jobs move to another on the next round."""
    return service.set_enabled(session, actor, now, printer_id, False)


@router.post("/jobs", response_model=JobOut, status_code=201)
def print_document(
    body: PrintIn, response: Response, actor: CanPrint, session: SessionDep, now: Now
) -> object:
    """Queue a waybill or label; asking again for one already queued answers it (200)."""
    job, created = documents.print_document(
        session, actor, now, current_plan(), body.document, body.id, reprint=body.reprint
    )
    if not created:
        response.status_code = 200
    return job


@router.get("/jobs", response_model=list[JobOut])
def jobs(
    _: CanPrint,
    session: SessionDep,
    status: Term | None = Query(None, pattern="^(queued|sending|sent|printed|cancelled)$"),
    limit: int = Query(200, ge=1, le=1000),
) -> object:
    return service.list_jobs(session, status, limit)


@router.get("/jobs/{job_id}", response_model=JobDetailOut)
def job(job_id: Id, _: CanPrint, session: SessionDep) -> object:
    found = service.get_job(session, job_id)
    return {**JobOut.model_validate(found).model_dump(), "attempts": service.attempts_of(session, job_id)}


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
def cancel(job_id: Id, actor: CanPrint, session: SessionDep, now: Now) -> object:
    return service.cancel_job(session, actor, now, job_id, ipp.CupsClient())
