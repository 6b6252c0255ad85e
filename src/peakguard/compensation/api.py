"""Compensation register routes (S1.5)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from peakguard.compensation import service
from peakguard.compensation.models import CompensationEntry
from peakguard.compensation.schemas import EntryIn, EntryOut, TermsIn
from peakguard.deps import CanReadIncidents, CanWriteIncidents, Now, SessionDep
from peakguard.export_safety import for_excel
from peakguard.i18n import normalise
from peakguard.idempotency import IdempotencyKeyDep, remember, replay
from peakguard.limits import Id, Term

router = APIRouter(prefix="/api/v1/compensation", tags=["compensation"])


@router.get("", response_model=list[EntryOut])
def list_entries(
    _: CanReadIncidents,
    session: SessionDep,
    status: Term | None = None,
) -> list[CompensationEntry]:
    return service.entries(session, status)


@router.post("", response_model=EntryOut, status_code=201)
def add_entry(
    body: EntryIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
    key: IdempotencyKeyDep,
) -> EntryOut | Response:
    if (answer := replay(session, actor, key)) is not None:
        return answer
    entry = service.add(session, actor, now, **body.model_dump())
    return remember(session, actor, now, key, EntryOut.model_validate(entry), 201)


@router.post("/{entry_id}/terms", response_model=EntryOut)
def set_terms(
    entry_id: Id,
    body: TermsIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> CompensationEntry:
    return service.set_terms(session, actor, now, entry_id, method=body.method, amount=body.amount)


@router.post("/{entry_id}/paid", response_model=EntryOut)
def mark_paid(
    entry_id: Id,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> CompensationEntry:
    return service.mark_paid(session, actor, now, entry_id)


@router.get("/export.csv")
def export(_: CanReadIncidents, session: SessionDep, lang: Term = "") -> Response:
    """The register as CSV for Excel; ``lang`` (the page's link gives it) puts headers and
    words in that language, without it they are the codes a program reads."""
    return Response(
        for_excel(service.export_csv(session, normalise(lang) if lang else None)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="compensation.csv"'},
    )
