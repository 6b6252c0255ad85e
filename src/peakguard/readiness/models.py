"""Readiness tables. Checklist items are copied from the plan's templates once (``template``
is unique), so editing an item on the day never rewrites the plan, and re-running the copy adds
only what is new."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime
from peakguard.incidents.models import Incident
from peakguard.roster.models import Person

DRILL_TAG = "DRILL-"
"""Every drill's scope starts with it (``DRILL-<n>``, ``DRILL-<n>-HUB``). Here, beside the
drills' table, so that the scorecard leaves drills out without importing the drills' service
and the monitor's ingest it runs (Polars, Numba: a second of CLI start-up, issue 14)."""


class ChecklistItem(Base):
    __tablename__ = "readiness_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    risk: Mapped[str] = mapped_column(String(40), index=True)
    template: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    """``risk.key`` of the plan template it came from; NULL for an item added by hand."""
    text: Mapped[dict[str, str]] = mapped_column(JSON)
    """{"zh_CN": ..., "en": ...}"""
    owner_role: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey(Person.id), nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    evidence_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    evidence_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    evidence_file: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Set when the owner was told the item is overdue, so the notice goes out once."""


class ReminderSent(Base):
    """One row per timeline point and day: the unique key makes each reminder fire once, even
    with two servers ticking."""

    __tablename__ = "readiness_reminders"
    __table_args__ = (UniqueConstraint("day", "at", name="uq_readiness_reminder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    at: Mapped[str] = mapped_column(String(5))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    """sent (messages queued) or missed (the server was not running at the time)."""


class Drill(Base):
    """A rehearsed fault: when it was injected, the incident it opened, and how fast the team
    acknowledged and resolved it against the level's deadline."""

    __tablename__ = "readiness_drills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(120))
    events: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey(Incident.id), nullable=True)
    acknowledged_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deadline_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    """running, met (resolved within the deadline), missed (resolved late or deadline passed)."""
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
