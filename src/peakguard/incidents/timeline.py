"""The incident timeline's one writer of rows (S3.4-S3.7): the engine and the domains that act
on an incident (paging, issue 17) add entries here. A leaf module, so that ``oncall.paging``,
which the engine calls, can write a timeline row without importing the engine back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.incidents.models import Incident, TimelineEntry


def add_entry(
    session: Session,
    incident: Incident,
    actor: Actor,
    now: datetime,
    event: str,
    message: str,
    **detail: Any,
) -> TimelineEntry:
    """One timeline row; dates in ``detail`` are stored as ISO text (the column is JSON)."""
    entry = TimelineEntry(
        incident_id=incident.id,
        at=now,
        actor=actor.name,
        event=event,
        message=message,
        detail={k: str(v) if isinstance(v, date | datetime) else v for k, v in detail.items()},
    )
    session.add(entry)
    return entry
