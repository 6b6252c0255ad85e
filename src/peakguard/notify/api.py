"""The delivery log over the API (issue 6): what was sent to whom, what failed and why."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from peakguard.clock import parse_iso
from peakguard.deps import CanReadRoster, Now, SessionDep
from peakguard.limits import Id, Term
from peakguard.notify import service
from peakguard.notify.channels import route
from peakguard.notify.delivery import redact
from peakguard.notify.models import Notification
from peakguard.plan.service import current_plan, get_level
from peakguard.roster.service import get_person

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
    level: Term | None = None
    subject: str
    body: str
    status: Term
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


@router.get("", response_model=list[NotificationOut])
def list_notifications(
    _: CanReadRoster,
    session: SessionDep,
    status: Term | None = Query(None, pattern="^(pending|sent|failed|no_recipient)$"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[Notification]:
    return service.recent(session, status, limit)


class ChannelOut(BaseModel):
    channel: str
    """Scheme and host only: channel URLs carry secrets."""
    use: bool
    why: str


@router.get("/route", response_model=list[ChannelOut])
def channel_route(
    person_id: Id,
    _: CanReadRoster,
    session: SessionDep,
    now: Now,
    level: Term | None = Query(None, description="the incident's level; none: a message about no incident"),
    at: Term | None = Query(None, description="ISO 8601 time; default now"),
) -> list[ChannelOut]:
    """The person's channels in the order delivery tries them for a message of that level at
    that time, and why phone or SMS is skipped (below the plan's level, or quiet hours)."""
    plan = current_plan()
    if level is not None:
        get_level(plan, level)
    when = parse_iso(at) if at else now
    return [
        ChannelOut(channel=redact(c.url), use=c.use, why=c.why)
        for c in route(get_person(session, person_id), level, "incident", plan, when)
    ]
