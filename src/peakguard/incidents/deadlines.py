"""Deadlines (S3.4): one pending row per incident. :func:`tick` fires every due row exactly once
with a conditional update (``state = 'pending'`` in the WHERE clause), so two tickers, or a ticker
killed and restarted, never escalate the same deadline twice. Firing marks the incident breached
and tells the level's ``escalate_to`` roles; a warning goes out once before that."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.db import Database
from peakguard.incidents.models import Deadline, Incident
from peakguard.incidents.notices import tell
from peakguard.incidents.queries import get
from peakguard.incidents.timeline import add_entry as _timeline
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan, get_level


def tick(session: Session, now: datetime, plan: Plan | None = None) -> list[Incident]:
    """Warn of deadlines that are near, then escalate every incident whose deadline is due, each
    exactly once; return the escalated ones."""
    plan = plan or current_plan()
    actor = Actor.system("deadline")
    _warn_near(session, now, plan, actor)
    due = session.scalars(
        select(Deadline).where(Deadline.state == "pending", Deadline.due_at <= now).order_by(Deadline.due_at)
    ).all()
    escalated = []
    for deadline in due:
        fired = session.execute(
            update(Deadline)
            .where(Deadline.id == deadline.id, Deadline.state == "pending")
            .values(state="breached", fired_at=now)
            .execution_options(synchronize_session=False)
        )
        if fired.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another ticker fired it first
        incident = get(session, deadline.incident_id)
        incident.breached = True
        roles = get_level(plan, incident.level).escalate_to
        _timeline(
            session,
            incident,
            actor,
            now,
            "breached",
            f"deadline {deadline.due_at.isoformat()} passed; told {', '.join(roles)}",
            deadline=deadline.id,
            roles=roles,
        )
        tell(session, plan, incident, now, "breached", roles)
        record(session, actor, "incident.breach", "incident", incident.id, now, deadline=deadline.id)
        escalated.append(incident)
    return escalated


def _warn_near(session: Session, now: datetime, plan: Plan, actor: Actor) -> None:
    """Tell the handler (and supervisor) once ``deadline_warning_percent`` of the time is gone,
    so a deadline is never a surprise; the conditional update makes the warning fire once."""
    pending = session.scalars(
        select(Deadline).where(
            Deadline.state == "pending", Deadline.warned_at.is_(None), Deadline.due_at > now
        )
    ).all()
    for deadline in pending:
        warn_at = (
            deadline.started_at
            + (deadline.due_at - deadline.started_at) * plan.deadline_warning_percent / 100
        )
        if warn_at > now:
            continue
        claimed = session.execute(
            update(Deadline)
            .where(Deadline.id == deadline.id, Deadline.warned_at.is_(None))
            .values(warned_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        incident = get(session, deadline.incident_id)
        roles = [incident.handler_role] + ([incident.supervisor_role] if incident.supervisor_role else [])
        _timeline(
            session,
            incident,
            actor,
            now,
            "deadline_near",
            f"deadline {deadline.due_at.isoformat()} is near; told {', '.join(roles)}",
            roles=roles,
        )
        tell(session, plan, incident, now, "deadline_near", roles)


def tick_job(db: Database, now: datetime) -> list[int]:
    """The ticker as a background job: its own transaction, ids of what it escalated."""
    with db.transaction() as session:
        return [incident.id for incident in tick(session, now)]


def start_deadline(incident: Incident, now: datetime) -> None:
    due = now + timedelta(minutes=incident.deadline_minutes)
    incident.deadline_at = due
    incident.deadlines.append(Deadline(level=incident.level, started_at=now, due_at=due))


def pending_deadline(session: Session, incident_id: int) -> Deadline | None:
    return session.scalar(
        select(Deadline).where(Deadline.incident_id == incident_id, Deadline.state == "pending")
    )
