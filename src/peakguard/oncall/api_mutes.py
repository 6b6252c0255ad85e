"""Mute routes (issue 17 noise control): snooze an incident's paging with a reason, end it, the
mutes of an incident, and the incidents an inhibiting one mutes (listed under it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from peakguard.clock import as_utc
from peakguard.deps import CanReadIncidents, CanWriteIncidents, Now, SessionDep
from peakguard.incidents.models import Incident
from peakguard.limits import Id, Input, Line
from peakguard.oncall import mutes, snooze
from peakguard.oncall.mutes import Mute
from peakguard.plan.service import current_plan

router = APIRouter(prefix="/api/v1/oncall/incidents", tags=["oncall"])


class SnoozeIn(Input):
    until: datetime
    reason: Annotated[str, Line(200, min_length=1)]


class MuteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    cause: str
    source_id: int | None
    level: str
    reason: str
    by: str
    start_at: datetime
    until_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None


class MutedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    area: str
    level: str
    status: str
    count: int


@router.post("/{incident_id}/snooze", response_model=MuteOut, status_code=201)
def snooze_incident(
    incident_id: Id,
    body: SnoozeIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> Mute:
    """Hold the incident's paging until ``until``; a level raise ends it early."""
    return snooze.snooze(
        session, actor, now, current_plan(), incident_id, until=as_utc(body.until), reason=body.reason
    )


@router.post("/{incident_id}/unsnooze", response_model=MutedOut)
def unsnooze_incident(
    incident_id: Id,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> Incident:
    return snooze.unsnooze(session, actor, now, current_plan(), incident_id)


@router.get("/{incident_id}/mutes", response_model=list[MuteOut])
def incident_mutes(
    incident_id: Id,
    _: CanReadIncidents,
    session: SessionDep,
) -> list[Mute]:
    """Every mute of the incident, running or ended, oldest first."""
    return mutes.history(session, incident_id)


@router.get("/{incident_id}/muted", response_model=list[MutedOut])
def muted_under(
    incident_id: Id,
    _: CanReadIncidents,
    session: SessionDep,
) -> list[Incident]:
    """The incidents this one mutes now by an inhibition rule."""
    return mutes.muted_under(session, incident_id)
