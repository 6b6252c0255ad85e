"""On-call tables. A schedule is stored as its rules (rotations and overrides), never as a
table of expanded shifts: who is on duty is computed for any instant, so a rotation edited on
the day changes every future shift at once and simulated time needs nothing special."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime
from peakguard.incidents.models import Incident
from peakguard.notify.models import Notification
from peakguard.roster.models import Person


class Rotation(Base):
    """People of a role taking turns: each hand-over time of ``shifts`` (local ``HH:MM``, in
    ``timezone``) starts the next person's shift, so ``["08:00"]`` is a daily rotation and
    ``["08:00", "20:00"]`` a day and a night shift. Of the rotations of a role covering an
    instant, the highest ``layer`` decides (a peak-day layer over the normal one); rotations of
    the same layer add up (two members on duty at once)."""

    __tablename__ = "oncall_rotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), index=True)
    layer: Mapped[int] = mapped_column(Integer, default=1)
    shifts: Mapped[list[str]] = mapped_column(JSON)
    members: Mapped[list[int]] = mapped_column(JSON)
    """Roster person ids in turn order."""
    timezone: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    """The first shift starts at the first hand-over time of this local day."""
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    """The rotation stops at the first hand-over time of this local day (none: runs on)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Override(Base):
    """Someone covers a role for a while: in place of ``replaces_id`` ("I take Li's night") or,
    without it, in place of everyone the rotations put on duty. A swap is two overrides with
    the same ``swap_id``."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(20), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey(Person.id))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey(Person.id), nullable=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    swap_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class Handover(Base):
    """One row per person coming on duty for a role at a hand-over: the unique key makes the
    hand-over message go out once, even with two servers ticking."""

    __tablename__ = "oncall_handovers"
    __table_args__ = (UniqueConstraint("role", "at", "person_id", name="uq_oncall_handover"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    person_id: Mapped[int] = mapped_column(ForeignKey(Person.id))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    open_incidents: Mapped[int] = mapped_column(Integer)


class CalendarToken(Base):
    """The secret in a person's calendar (iCal) URL, stored as its SHA-256 only: a calendar app
    cannot send a bearer token, so the URL itself is the credential."""

    __tablename__ = "oncall_calendar_tokens"

    person_id: Mapped[int] = mapped_column(ForeignKey(Person.id), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Page(Base):
    """One page of an escalation: who was paged for an incident, when, on which channels, by
    when they had to acknowledge and whether they answered. ``chain`` counts the escalations
    of an incident (a level change starts a new one); ``step`` counts pages within it, so the
    unique key lets each step exist once even if two tickers race."""

    __tablename__ = "oncall_pages"
    __table_args__ = (UniqueConstraint("incident_id", "chain", "step", name="uq_oncall_page_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey(Incident.id), index=True)
    level: Mapped[str] = mapped_column(String(20))
    chain: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey(Person.id), nullable=True)
    """None: nobody of the role was on duty to page (the gap shows, the escalation goes on)."""
    channel: Mapped[str] = mapped_column(String(200))
    """The person's channels in the order delivery tries them (scheme and host only)."""
    notification_id: Mapped[int | None] = mapped_column(ForeignKey(Notification.id), nullable=True)
    paged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    """waiting (for an acknowledgement), answered, missed (the next page went out), stopped
    (resolved, level changed, or the last round ran out)."""
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


class MaintenanceWindow(Base):
    """A planned quiet time: from ``start_at`` to ``end_at`` detection raises nothing of ``kind``
    (every kind when null) at ``scope`` (a delivery area, a site or a shop), e.g. a hub closed
    for the night. Manual reports still open incidents: a person who reports means it."""

    __tablename__ = "oncall_maintenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class FeedHeartbeat(Base):
    """The last event seen from a feed (a scanning site or a shop), so that a feed falling
    silent opens ``feed_silent`` once (``alerted_at`` is claimed with a conditional update) and
    is re-armed when events come back."""

    __tablename__ = "oncall_feeds"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    """``site:<name>`` or ``shop:<name>``."""
    name: Mapped[str] = mapped_column(String(64))
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey(Incident.id), nullable=True)
