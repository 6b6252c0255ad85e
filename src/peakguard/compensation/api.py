"""Compensation register routes (S1.5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.auth.roles import Perm
from peakguard.compensation import service
from peakguard.compensation.models import CompensationEntry
from peakguard.deps import get_now, get_session, require

router = APIRouter(prefix="/api/v1/compensation", tags=["compensation"])


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: str
    shop: str
    order_amount: Decimal | None
    method: str | None
    amount: Decimal | None
    status: str
    source: str
    incident_id: int | None
    registered_at: datetime
    paid_at: datetime | None


class EntryIn(BaseModel):
    order_id: str = Field(min_length=1, max_length=80)
    shop: str = Field(min_length=1, max_length=64)
    order_amount: Decimal | None = None


class TermsIn(BaseModel):
    method: Literal["cash_back", "price_cut"]
    amount: Decimal


@router.get("", response_model=list[EntryOut])
def list_entries(
    status: str | None = None,
    _: Actor = Depends(require(Perm.INCIDENTS_READ)),
    session: Session = Depends(get_session),
) -> list[CompensationEntry]:
    return service.entries(session, status)


@router.post("", response_model=EntryOut, status_code=201)
def add_entry(
    body: EntryIn,
    actor: Actor = Depends(require(Perm.INCIDENTS_WRITE)),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> CompensationEntry:
    return service.add(session, actor, now, **body.model_dump())


@router.post("/{entry_id}/terms", response_model=EntryOut)
def set_terms(
    entry_id: int,
    body: TermsIn,
    actor: Actor = Depends(require(Perm.INCIDENTS_WRITE)),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> CompensationEntry:
    return service.set_terms(session, actor, now, entry_id, method=body.method, amount=body.amount)


@router.post("/{entry_id}/paid", response_model=EntryOut)
def mark_paid(
    entry_id: int,
    actor: Actor = Depends(require(Perm.INCIDENTS_WRITE)),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> CompensationEntry:
    return service.mark_paid(session, actor, now, entry_id)


@router.get("/export.csv")
def export(
    _: Actor = Depends(require(Perm.INCIDENTS_READ)), session: Session = Depends(get_session)
) -> Response:
    return Response(
        service.export_csv(session),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="compensation.csv"'},
    )
