"""The playbook's steps while an incident is handled (S3.5), and the after-action review with its
preventive measures once it is resolved (S3.7). A closed incident is the record the review
signed off: only completing a measure (follow-up) still changes anything."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound, Word
from peakguard.incidents.models import Measure, PlaybookStep, Review
from peakguard.incidents.queries import editable, get
from peakguard.incidents.timeline import add_entry as _timeline
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan


def set_step(
    session: Session,
    actor: Actor,
    now: datetime,
    incident_id: int,
    step_id: int,
    state: Literal["done", "skipped", "pending"],
    note: str = "",
) -> PlaybookStep:
    incident = editable(session, incident_id)
    step = session.get(PlaybookStep, step_id)
    if step is None or step.incident_id != incident.id:
        raise NotFound(
            "incident {incident_id} has no step {step_id}", incident_id=incident_id, step_id=step_id
        )
    if state not in ("done", "skipped", "pending"):
        raise InvalidInput("state", "one of done, skipped, pending")
    if state == "skipped" and not note.strip():
        raise InvalidInput("note", "say why a step is skipped")
    step.state, step.note, step.by, step.at = state, note.strip(), actor.name, now
    _timeline(
        session, incident, actor, now, "step", f"{step.position}. {step.text_en}: {state}", step=step.id
    )
    record(session, actor, "incident.step", "incident", incident.id, now, step=step.id, state=state)
    return step


def save_review(
    session: Session,
    actor: Actor,
    now: datetime,
    incident_id: int,
    *,
    root_cause: str,
    accountable_type: str | None = None,
    accountable_name: str | None = None,
    penalty_step: str | None = None,
    disclosure_note: str = "",
    plan: Plan | None = None,
) -> Review:
    plan = plan or current_plan()
    incident = editable(session, incident_id)
    if incident.status != "resolved":
        raise Conflict(
            "incident {incident_id} is {status}; review it once it is resolved",
            incident_id=incident_id,
            status=Word(incident.status),
        )
    if not root_cause.strip():
        raise InvalidInput("root_cause", "the review needs the root cause")
    if accountable_type not in (None, "person", "outlet"):
        raise InvalidInput("accountable_type", "person or outlet")
    if accountable_type and not (accountable_name or "").strip():
        raise InvalidInput("accountable_name", "name who is accountable")
    ladder = [p.id for p in plan.penalty_ladder]
    if penalty_step is not None and penalty_step not in ladder:
        raise InvalidInput("penalty_step", "one of {choices}", choices=", ".join(ladder))
    if penalty_step is not None and accountable_type != "outlet":
        raise InvalidInput("penalty_step", "the penalty ladder applies to a responsible outlet")
    review = session.get(Review, incident.id) or Review(incident_id=incident.id)
    review.root_cause = root_cause.strip()
    review.accountable_type = accountable_type
    review.accountable_name = (accountable_name or "").strip() or None
    review.penalty_step = penalty_step
    review.disclosure_note = disclosure_note.strip()
    review.updated_at, review.updated_by = now, actor.name
    session.add(review)
    _timeline(session, incident, actor, now, "review", review.root_cause)
    record(session, actor, "incident.review", "incident", incident.id, now, penalty=penalty_step)
    return review


def add_measure(
    session: Session,
    actor: Actor,
    now: datetime,
    incident_id: int,
    *,
    description: str,
    owner: str,
    due_date: date,
) -> Measure:
    incident = editable(session, incident_id)
    if not description.strip():
        raise InvalidInput("description", "must not be empty")
    if not owner.strip():
        raise InvalidInput("owner", "a preventive measure needs an owner")
    measure = Measure(
        incident_id=incident.id, description=description.strip(), owner=owner.strip(), due_date=due_date
    )
    session.add(measure)
    session.flush()
    _timeline(session, incident, actor, now, "measure", measure.description, owner=owner, due=due_date)
    record(session, actor, "incident.measure", "incident", incident.id, now, measure=measure.id)
    return measure


def complete_measure(
    session: Session, actor: Actor, now: datetime, measure_id: int, note: str = ""
) -> Measure:
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise NotFound("no preventive measure {measure_id}", measure_id=measure_id)
    if measure.done_at is not None:
        raise Conflict("measure {measure_id} is already done", measure_id=measure_id)
    measure.done_at, measure.done_note = now, note.strip()
    incident = get(session, measure.incident_id)
    _timeline(session, incident, actor, now, "measure_done", measure.description)
    record(session, actor, "incident.measure_done", "incident", incident.id, now, measure=measure.id)
    return measure
