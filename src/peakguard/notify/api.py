"""The delivery log over the API (issue 6): what was sent to whom, what failed and why."""

from __future__ import annotations

from fastapi import APIRouter, Query

from peakguard.clock import parse_iso
from peakguard.deps import CanReadRoster, Now, SessionDep
from peakguard.limits import Id, Term
from peakguard.notify import service
from peakguard.notify.channels import route
from peakguard.notify.delivery import redact
from peakguard.notify.models import Notification
from peakguard.notify.schemas import ChannelOut, NotificationOut
from peakguard.plan.service import current_plan, get_level
from peakguard.roster.service import get_person

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=list[NotificationOut])
def list_notifications(
    _: CanReadRoster,
    session: SessionDep,
    status: Term | None = Query(None, pattern="^(pending|sent|failed|no_recipient)$"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[Notification]:
    return service.recent(session, status, limit)


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
