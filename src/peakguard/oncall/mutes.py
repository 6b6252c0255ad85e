"""Muted incidents (issue 17 noise control): the table and the reads that paging consults.

An incident is *held* (not paged, its escalation not advanced) while either

* an **inhibition** of the plan (``oncall.inhibit``) applies: an active incident of the rule's
  ``source`` kind is open at a hub the incident's area is behind, e.g. an interrupted transit at
  the hub that feeds the area's backlog; or
* a person **snoozed** it, with a reason, until a time, at its current level (a level raise
  ends the snooze: the new level's chain must hear of it).

This module reads, and records an inhibition it finds (:func:`mark_inhibited`), so
:mod:`peakguard.oncall.paging` can ask it without importing the writer
(:mod:`peakguard.oncall.snooze`), which stops and restarts paging itself. A mute is a
row (who, why, from, until, how it ended) so the incident's history keeps it; ``open_key`` is
``<incident>|<cause>`` while the mute runs and NULL after, so the database refuses a second
running mute of one cause for one incident, even from two tickers at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from peakguard.audit.service import Actor
from peakguard.db import Base, UTCDateTime
from peakguard.incidents.models import ACTIVE, Incident
from peakguard.incidents.timeline import add_entry
from peakguard.plan.schemas import Plan

INHIBITED, SNOOZED = "inhibited", "snoozed"


class Mute(Base):
    __tablename__ = "oncall_mutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey(Incident.id), index=True)
    cause: Mapped[str] = mapped_column(String(20))
    """inhibited or snoozed."""
    source_id: Mapped[int | None] = mapped_column(ForeignKey(Incident.id), nullable=True, index=True)
    """The inhibiting incident (inhibited only)."""
    level: Mapped[str] = mapped_column(String(20))
    """The incident's level when the mute began; a snooze holds only at that level."""
    reason: Mapped[str] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(120))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """When a snooze runs out (inhibited: none, it lasts while the source is active)."""
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    """time, level_raised, source_resolved, resolved (the incident itself), ended (by hand)."""
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)


def open_key(incident_id: int, cause: str) -> str:
    return f"{incident_id}|{cause}"


def inhibitor(session: Session, plan: Plan, incident: Incident) -> Incident | None:
    """The active incident that mutes ``incident`` by an inhibition rule, if any (the oldest)."""
    for rule in plan.oncall.inhibit:
        if rule.target != incident.kind:
            continue
        hubs = [hub for hub, areas in rule.behind.items() if incident.area in areas]
        if not hubs:
            continue
        source = session.scalars(
            select(Incident)
            .where(Incident.kind == rule.source, Incident.area.in_(hubs), Incident.status.in_(ACTIVE))
            .order_by(Incident.id)
            .limit(1)
        ).first()
        if source is not None:
            return source
    return None


def snooze_of(session: Session, incident: Incident, now: datetime) -> Mute | None:
    """The running snooze of ``incident`` at its current level, if any."""
    mute = session.scalars(select(Mute).where(Mute.open_key == open_key(incident.id, SNOOZED))).first()
    if mute is None or mute.level != incident.level or (mute.until_at is not None and mute.until_at <= now):
        return None
    return mute


def held(session: Session, plan: Plan, incident: Incident, now: datetime) -> bool:
    """Whether paging must leave ``incident`` alone now."""
    return snooze_of(session, incident, now) is not None or inhibitor(session, plan, incident) is not None


def running(session: Session, incident_id: int) -> list[Mute]:
    return list(session.scalars(select(Mute).where(Mute.incident_id == incident_id, Mute.ended_at.is_(None))))


def all_running(session: Session) -> list[Mute]:
    """Every running mute (the war room marks the quiet incidents and lists them under their
    source in one query)."""
    return list(session.scalars(select(Mute).where(Mute.ended_at.is_(None)).order_by(Mute.id)))


def history(session: Session, incident_id: int) -> list[Mute]:
    return list(session.scalars(select(Mute).where(Mute.incident_id == incident_id).order_by(Mute.id)))


def muted_under(session: Session, source_id: int) -> list[Incident]:
    """The incidents an inhibiting incident mutes now, oldest first."""
    query = (
        select(Incident)
        .join(Mute, Mute.incident_id == Incident.id)
        .where(Mute.source_id == source_id, Mute.ended_at.is_(None))
        .order_by(Incident.id)
    )
    return list(session.scalars(query))


def mark_inhibited(session: Session, incident: Incident, source: Incident, now: datetime) -> Mute | None:
    """Record that ``source`` mutes ``incident`` (once: a running inhibition is kept), with a
    timeline row on both, so the muted one says why it is quiet and the source lists it."""
    if session.scalars(select(Mute).where(Mute.open_key == open_key(incident.id, INHIBITED))).first():
        return None
    try:
        with session.begin_nested():
            mute = Mute(
                incident_id=incident.id, cause=INHIBITED, source_id=source.id, level=incident.level,
                reason=f"{source.kind} at {source.area}", by="system:inhibition", start_at=now,
                open_key=open_key(incident.id, INHIBITED),
            )  # fmt: skip
            session.add(mute)
    except IntegrityError:
        return None  # another ticker recorded it first
    actor = Actor.system("inhibition")
    add_entry(session, incident, actor, now, "muted", f"muted by incident #{source.id}", source=source.id)
    add_entry(session, source, actor, now, "mutes", f"mutes incident #{incident.id}", target=incident.id)
    return mute


def hold(session: Session, plan: Plan, incident: Incident, now: datetime) -> bool:
    """:func:`held`, recording an inhibition found on the way (paging asks this)."""
    if snooze_of(session, incident, now) is not None:
        return True
    source = inhibitor(session, plan, incident)
    if source is None:
        return False
    mark_inhibited(session, incident, source, now)
    return True
