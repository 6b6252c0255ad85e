"""Reading incidents: one by id, the war room's list and counts, an incident's review and
assignee, and the guards the writers share (active, still editable)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peakguard.errors import Conflict, NotFound, Word
from peakguard.incidents.models import ACTIVE, Incident, Review
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan, rank
from peakguard.roster.models import Person


def get(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("no incident {incident_id}", incident_id=incident_id)
    return incident


def list_incidents(
    session: Session,
    *,
    status: Iterable[str] | None = None,
    kind: str | None = None,
    area: str | None = None,
    limit: int = 200,
    plan: Plan | None = None,
) -> list[Incident]:
    """The war room's order: the most serious level (special) first, whether breached or not,
    then breached ones, then by level, then nearest deadline. A special incident (a fire, an
    injury) outranks an overdue parcel backlog: it must never sit below four breached L1-L3."""
    plan = plan or current_plan()
    query = select(Incident)
    if status:
        query = query.where(Incident.status.in_(list(status)))
    if kind:
        query = query.where(Incident.kind == kind)
    if area:
        query = query.where(Incident.area == area)
    rows = list(session.scalars(query.order_by(Incident.id.desc()).limit(limit)))
    top = max(level.rank for level in plan.levels.values())
    return sorted(
        rows, key=lambda i: (rank(plan, i.level) != top, not i.breached, -rank(plan, i.level), i.deadline_at)
    )


def counts_by_level(session: Session) -> dict[str, int]:
    query = select(Incident.level, func.count()).where(Incident.status.in_(ACTIVE)).group_by(Incident.level)
    return {level: n for level, n in session.execute(query)}


def review_of(session: Session, incident_id: int) -> Review | None:
    return session.get(Review, incident_id)


def assignee(session: Session, incident: Incident) -> Person | None:
    return session.get(Person, incident.assignee_id) if incident.assignee_id else None


def editable(session: Session, incident_id: int) -> Incident:
    """A closed incident is the record the after-action review signed off (S3.7): no note, step,
    review or measure changes it any more. Completing a measure stays open: that is follow-up."""
    incident = get(session, incident_id)
    if incident.status == "closed":
        raise Conflict(
            "incident {incident_id} is closed; a closed incident is not edited",
            field="status",
            incident_id=incident_id,
        )
    return incident


def get_active(session: Session, incident_id: int) -> Incident:
    incident = get(session, incident_id)
    if incident.status not in ACTIVE:
        raise Conflict(
            "incident {incident_id} is {status}", incident_id=incident_id, status=Word(incident.status)
        )
    return incident
