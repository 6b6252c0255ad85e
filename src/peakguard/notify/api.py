"""The delivery log over the API (issue 6): what was sent to whom, what failed and why."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.auth.roles import Perm
from peakguard.deps import get_session, require
from peakguard.limits import Id, Term
from peakguard.notify import service
from peakguard.notify.models import Notification

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    event: str
    incident_id: Id | None
    role: str
    person_id: Id | None
    language: str
    subject: str
    body: str
    status: Term
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


@router.get("", response_model=list[NotificationOut])
def list_notifications(
    status: Term | None = Query(None, pattern="^(pending|sent|failed|no_recipient)$"),
    limit: int = Query(100, ge=1, le=1000),
    _: Actor = Depends(require(Perm.ROSTER_READ)),
    session: Session = Depends(get_session),
) -> list[Notification]:
    return service.recent(session, status, limit)
