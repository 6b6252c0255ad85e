"""The incident's lifecycle (S3.4, S3.7): open -> acknowledged -> resolved (the result report
goes to the level's ``report_to``) -> closed after the review. Acknowledging or resolving stops
paging. Every step is a timeline entry and audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, Word
from peakguard.incidents.deadlines import pending_deadline
from peakguard.incidents.models import Incident, Review, TimelineEntry
from peakguard.incidents.notices import tell
from peakguard.incidents.queries import editable, get, get_active
from peakguard.incidents.timeline import add_entry as _timeline
from peakguard.limits import MAX_TEXT
from peakguard.oncall import paging
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan


def acknowledge(session: Session, actor: Actor, now: datetime, incident_id: int) -> Incident:
    incident = get(session, incident_id)
    if incident.status != "open":
        raise Conflict(
            "incident {incident_id} is {status}, only an open one can be acknowledged",
            incident_id=incident_id,
            status=Word(incident.status),
        )
    incident.status = "acknowledged"
    incident.acknowledged_at = now
    paging.answered(session, incident.id, actor, now)  # an acknowledgement stops paging
    _timeline(session, incident, actor, now, "acknowledged", actor.name)
    record(session, actor, "incident.acknowledge", "incident", incident.id, now)
    return incident


def add_note(session: Session, actor: Actor, now: datetime, incident_id: int, text: str) -> TimelineEntry:
    incident = editable(session, incident_id)
    if not text.strip():
        raise InvalidInput("text", "a note must not be empty")
    if len(text) > MAX_TEXT:  # the CLI and the pages too: 20 MB of note was stored and served
        raise InvalidInput("text", "at most {max_text} characters", max_text=MAX_TEXT)
    entry = _timeline(session, incident, actor, now, "note", text.strip())
    session.flush()
    record(session, actor, "incident.note", "incident", incident.id, now)
    return entry


def resolve(
    session: Session, actor: Actor, now: datetime, incident_id: int, result: str, plan: Plan | None = None
) -> Incident:
    """Resolve with the result report, which goes to the level's ``report_to`` role (S3.4)."""
    plan = plan or current_plan()
    incident = get_active(session, incident_id)
    if not result or not result.strip():
        raise InvalidInput("result", "resolving needs a result report")
    deadline = pending_deadline(session, incident.id)
    if deadline is not None and now <= deadline.due_at:
        deadline.state = "met"
    elif deadline is not None:  # late, though no ticker had fired it yet: still a breach
        deadline.state, deadline.fired_at, incident.breached = "breached", now, True
    incident.status = "resolved"
    incident.resolved_at = now
    paging.stop(session, incident.id)
    incident.open_key = None
    incident.result_report = result.strip()
    _timeline(
        session, incident, actor, now, "resolved", incident.result_report, in_time=not incident.breached
    )
    tell(session, plan, incident, now, "resolved", [incident.report_to_role])
    record(session, actor, "incident.resolve", "incident", incident.id, now)
    return incident


def close(session: Session, actor: Actor, now: datetime, incident_id: int) -> Incident:
    """Close after the after-action review (S3.7): a resolved incident with a root cause."""
    incident = get(session, incident_id)
    if incident.status != "resolved":
        raise Conflict(
            "incident {incident_id} is {status}; resolve it before closing",
            incident_id=incident_id,
            status=Word(incident.status),
        )
    if session.get(Review, incident.id) is None:
        raise Conflict(
            "incident {incident_id} has no review yet; write the review before closing",
            incident_id=incident_id,
        )
    incident.status = "closed"
    incident.closed_at = now
    _timeline(session, incident, actor, now, "closed", "")
    record(session, actor, "incident.close", "incident", incident.id, now)
    return incident
