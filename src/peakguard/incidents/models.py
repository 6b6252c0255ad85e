"""Incident tables. The deadline is its own row (``incident_deadlines``) so that a timer lives in
the database, never only in memory: a restarted process finds every pending timer, and the
conditional update that fires one makes each fire exactly once (ARCHITECTURE flow 2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peakguard.db import Base, UTCDateTime
from peakguard.roster.models import Person

ACTIVE = ("open", "acknowledged")


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    area: Mapped[str] = mapped_column(String(64), index=True)
    """Delivery area or outlet (S3.3), or a site, shop or warehouse for the other kinds."""
    count: Mapped[int] = mapped_column(Integer, default=1)
    level: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    """``kind|area`` while active, else NULL: the database itself refuses a second active
    incident of the same kind and area, even from two processes at once."""
    source: Mapped[str] = mapped_column(String(40), default="manual")
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    handler_role: Mapped[str] = mapped_column(String(20))
    supervisor_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    notify_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    report_to_role: Mapped[str] = mapped_column(String(20))
    task_force: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey(Person.id), nullable=True)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_minutes: Mapped[int] = mapped_column(Integer)
    breached: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result_report: Mapped[str | None] = mapped_column(Text, nullable=True)

    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="incident", order_by="TimelineEntry.id"
    )
    steps: Mapped[list[PlaybookStep]] = relationship(
        back_populates="incident", order_by="PlaybookStep.position"
    )
    deadlines: Mapped[list[Deadline]] = relationship(order_by="Deadline.id")
    measures: Mapped[list[Measure]] = relationship(order_by="Measure.id")


class Deadline(Base):
    __tablename__ = "incident_deadlines"
    __table_args__ = (Index("ix_incident_deadlines_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    """pending -> met (resolved in time) | breached (fired once) | superseded (level changed)."""
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """When the handler was told the deadline is near (``deadline_warning_percent`` of it gone)."""


class FollowUp(Base):
    """What follows an incident the detectors opened or raised, done after its commit
    (:mod:`peakguard.incidents.followups`): a row written with the change, so it survives the
    process."""

    __tablename__ = "incident_followups"
    __table_args__ = (Index("ix_incident_followups_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    """opened or level_raised (tell the level's roles, page the assignee), clients (match ids)."""
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    """The level the incident took with the change: its roles are told, its escalation paged."""
    ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The parcel and order ids counted (``clients``): matched to the warehouse's clients."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    """pending (to do, or to retry at ``next_attempt_at``) -> done."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class TimelineEntry(Base):
    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    incident: Mapped[Incident] = relationship(back_populates="timeline")


class PlaybookStep(Base):
    """A handling measure (S3.5) copied from the plan when the incident opened, ticked off as the
    team works; the review (S3.7) reads which were done and which skipped."""

    __tablename__ = "incident_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    """pending, done, skipped."""
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    incident: Mapped[Incident] = relationship(back_populates="steps")


class Review(Base):
    """The after-action review (S3.7): cause, accountability, disclosure."""

    __tablename__ = "incident_reviews"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    root_cause: Mapped[str] = mapped_column(Text)
    accountable_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    """person or outlet."""
    accountable_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    penalty_step: Mapped[str | None] = mapped_column(String(40), nullable=True)
    disclosure_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(120))


class Measure(Base):
    """A preventive measure against recurrence (S3.7 (2)), tracked to done."""

    __tablename__ = "incident_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(120))
    due_date: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_note: Mapped[str] = mapped_column(Text, default="")
