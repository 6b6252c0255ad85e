"""Turning incident rows into the API/CLI shapes, in one place for both."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from peakguard.incidents import queries
from peakguard.incidents.models import Incident
from peakguard.incidents.schemas import (
    DeadlineOut,
    IncidentDetailOut,
    IncidentOut,
    MeasureOut,
    NotificationOut,
    ReportOut,
    ReviewOut,
    StepOut,
    TimelineOut,
)
from peakguard.plan.schemas import Plan

if TYPE_CHECKING:
    # Only a type here: the reporting module brings the notices, paging and follow-ups, which the
    # war room's list (:func:`summary`, every ``incident list``) never needs (issue 14).
    from peakguard.incidents import reporting


def summary(session: Session, incident: Incident, plan: Plan) -> IncidentOut:
    person = queries.assignee(session, incident)
    return IncidentOut.of(incident, plan, person.name if person else None)


def report_out(session: Session, result: reporting.ReportResult, plan: Plan) -> ReportOut:
    base = summary(session, result.incident, plan)
    return ReportOut(**base.model_dump(), created=result.created, raised_from=result.raised_from)


def detail(session: Session, incident: Incident, plan: Plan) -> IncidentDetailOut:
    # Imported here: the notification service brings on-call duty and the message catalogs,
    # which the war room's list (:func:`summary`, every ``incident list``) never needs (issue 14).
    from peakguard.notify.service import for_incident

    review = queries.review_of(session, incident.id)
    return IncidentDetailOut(
        **summary(session, incident, plan).model_dump(),
        timeline=[TimelineOut.model_validate(t) for t in incident.timeline],
        steps=[StepOut.model_validate(s) for s in incident.steps],
        deadlines=[DeadlineOut.model_validate(d) for d in incident.deadlines],
        notifications=[NotificationOut.model_validate(n) for n in for_incident(session, incident.id)],
        review=ReviewOut.model_validate(review) if review else None,
        measures=[MeasureOut.model_validate(m) for m in incident.measures],
    )
