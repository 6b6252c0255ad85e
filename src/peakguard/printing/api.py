"""Printing routes (S1.6): printers and their health, the print queue, and each job's trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from peakguard.deps import CanPrint, Now, SessionDep
from peakguard.limits import Id, Input, Line, Term
from peakguard.plan.service import current_plan
from peakguard.printing import documents, ipp, service

router = APIRouter(prefix="/api/v1/printing", tags=["printing"])


class PrinterIn(Input):
    queue: Annotated[str, Line(127), Field(description="the CUPS queue name")]
    name: Annotated[str, Line(120)] = ""


class PrinterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    queue: str
    name: str
    enabled: bool
    healthy: bool
    state_message: str
    queued: int
    checked_at: datetime | None
    failed_at: datetime | None


class PrintIn(Input):
    document: Annotated[
        str, Line(20), Field(description="waybill (an order id), sku (a SKU id) or pallet (a pallet id)")
    ]
    id: Id
    reprint: bool = False


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    printer_id: Id
    attempt: int
    cups_job_id: Id | None
    at: datetime
    outcome: str
    reason: str | None


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    created_by: str
    document: str
    title: str
    status: Term
    printer_id: Id | None
    attempt: int
    cups_job_id: Id | None
    printed_at: datetime | None
    last_error: str | None


class JobDetailOut(JobOut):
    attempts: list[AttemptOut]


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
