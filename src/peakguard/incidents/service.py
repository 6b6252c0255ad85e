"""The graded incident engine (S3.3-S3.7): the only code that writes the incident tables.

Rules, as the plan file sets the numbers:

* **Classify** (S3.3): a report of ``count`` units of a kind gets the highest level whose
  threshold it reaches (``count >= min_count``), else the kind's base level.
* **Group**: while an incident of the same kind and area is active (open or acknowledged), a new
  report updates it instead of opening another. The report says whether its count is ``add``ed
  (new parcels on top) or ``replace``s the count (a fresh total, as a detector measures it).
* **Raise**: if the new count reaches a higher level, the incident takes it: the chain is
  re-assigned from the new level, the running deadline is superseded and a new one starts *now*
  with the new level's minutes, the incident goes back to ``open`` for the new handler to
  acknowledge, and the new level's roles are told. A lower count never lowers the level; only a
  person can change it by hand, with a reason (and the deadline then restarts too).
* **Deadline** (S3.4): one pending row per incident. :func:`tick` fires every due row exactly
  once with a conditional update (``state = 'pending'`` in the WHERE clause), so two tickers, or
  a ticker killed and restarted, never escalate the same deadline twice. Firing marks the
  incident breached and tells the level's ``escalate_to`` roles.
* **Paging** (issue 17, :mod:`peakguard.oncall.paging`): opening or re-levelling pages the
  assignee until someone acknowledges; acknowledging or resolving stops it. It runs beside the
  deadline and never changes it.
* **Lifecycle**: open -> acknowledged -> resolved (result report sent to the level's
  ``report_to``) -> closed after the review (S3.7). Every step is a timeline entry and audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.db import Database
from peakguard.errors import Conflict, InvalidInput, NotFound, Word
from peakguard.i18n import gettext
from peakguard.incidents.models import (
    ACTIVE,
    Deadline,
    Incident,
    Measure,
    PlaybookStep,
    Review,
    TimelineEntry,
)
from peakguard.incidents.timeline import add_entry as _timeline
from peakguard.limits import MAX_TEXT
from peakguard.notify import service as notify
from peakguard.oncall import paging
from peakguard.oncall.duty import on_duty
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan, get_kind, get_level, level_for, rank
from peakguard.roster.models import Person

CountMode = Literal["add", "replace"]
MAX_AREA = 64


@dataclass(frozen=True)
class ReportResult:
    incident: Incident
    created: bool
    raised_from: str | None = None


# --- opening and grouping -------------------------------------------------------------------


def report(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    kind: str,
    area: str,
    count: int = 1,
    mode: CountMode = "add",
    summary: str = "",
    source: str = "manual",
    details: dict[str, Any] | None = None,
    plan: Plan | None = None,
) -> ReportResult:
    """Open an incident, or update the active one of the same kind and area (see module doc)."""
    plan = plan or current_plan()
    get_kind(plan, kind)
    area = _check_area(area)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidInput("count", "must be a whole number, 1 or more")
    if mode not in ("add", "replace"):
        raise InvalidInput("mode", "must be add or replace")
    existing = _active(session, kind, area)
    if existing is None:
        try:
            with session.begin_nested():
                incident = _open(session, actor, now, plan, kind, area, count, summary, source, details)
            return ReportResult(incident, created=True)
        except IntegrityError:
            # Another process opened the same kind and area between our look and our insert.
            existing = _active(session, kind, area)
            if existing is None:
                raise
    return _update(session, actor, now, plan, existing, count, mode, summary, details)


def _open(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    kind: str,
    area: str,
    count: int,
    summary: str,
    source: str,
    details: dict[str, Any] | None,
) -> Incident:
    level = level_for(plan, kind, count)
    incident = Incident(
        kind=kind,
        area=area,
        count=count,
        level=level,
        status="open",
        open_key=_open_key(kind, area),
        source=source,
        summary=summary,
        details=details or {},
        opened_at=now,
    )
    _apply_chain(plan, incident, level)
    _start_deadline(incident, now)
    session.add(incident)
    session.flush()
    spec = get_kind(plan, kind)
    for position, step in enumerate(plan.playbooks[spec.playbook], start=1):
        session.add(
            PlaybookStep(incident_id=incident.id, position=position, text_zh=step.zh_CN, text_en=step.en)
        )
    _assign(session, incident, now)
    _timeline(
        session,
        incident,
        actor,
        now,
        "opened",
        f"{kind} x{count} in {area}: {level}",
        count=count,
        level=level,
        source=source,
    )
    _tell(session, plan, incident, now, "opened", incident.notify_roles)
    paging.start(session, plan, incident, now)
    record(
        session,
        actor,
        "incident.open",
        "incident",
        incident.id,
        now,
        kind=kind,
        area=area,
        count=count,
        level=level,
    )
    return incident


def _update(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    incident: Incident,
    count: int,
    mode: CountMode,
    summary: str,
    details: dict[str, Any] | None,
) -> ReportResult:
    old_count, old_level = incident.count, incident.level
    incident.count = old_count + count if mode == "add" else count
    if summary:
        incident.summary = summary
    if details:
        incident.details = {**incident.details, **details}
    measured = level_for(plan, incident.kind, incident.count)
    _timeline(
        session,
        incident,
        actor,
        now,
        "updated",
        f"count {old_count} -> {incident.count} ({mode})",
        count=incident.count,
        mode=mode,
    )
    raised_from = None
    if rank(plan, measured) > rank(plan, old_level):
        _change_level(
            session,
            plan,
            incident,
            actor,
            now,
            measured,
            event="level_raised",
            reason=f"count {incident.count} reached {measured}",
        )
        raised_from = old_level
    record(
        session,
        actor,
        "incident.update",
        "incident",
        incident.id,
        now,
        count=incident.count,
        mode=mode,
        level=incident.level,
    )
    return ReportResult(incident, created=False, raised_from=raised_from)


def _change_level(
    session: Session,
    plan: Plan,
    incident: Incident,
    actor: Actor,
    now: datetime,
    level: str,
    *,
    event: str,
    reason: str,
) -> None:
    old = incident.level
    incident.level = level
    _apply_chain(plan, incident, level)
    pending = _pending_deadline(session, incident.id)
    if pending is not None:
        pending.state, pending.fired_at = "superseded", now
    _start_deadline(incident, now)
    incident.breached = False
    if incident.status == "acknowledged":
        incident.status = "open"  # the new chain's handler has to take it up
        incident.acknowledged_at = None
    _assign(session, incident, now)
    _timeline(
        session, incident, actor, now, event, f"{old} -> {level}: {reason}", old=old, new=level, reason=reason
    )
    _tell(session, plan, incident, now, event, incident.notify_roles)
    paging.start(session, plan, incident, now)


def set_level(
    session: Session,
    actor: Actor,
    now: datetime,
    incident_id: int,
    level: str,
    reason: str,
    plan: Plan | None = None,
) -> Incident:
    """A person changes the level by hand (up or down); the reason is required and kept."""
    plan = plan or current_plan()
    incident = _get_active(session, incident_id)
    get_level(plan, level)
    if not reason or not reason.strip():
        raise InvalidInput("reason", "a manual level change needs a reason")
    if level == incident.level:
        raise Conflict(
            "incident {incident_id} is already {level}", field="level", incident_id=incident_id, level=level
        )
    _change_level(session, plan, incident, actor, now, level, event="level_changed", reason=reason.strip())
    record(session, actor, "incident.level", "incident", incident.id, now, level=level, reason=reason)
    return incident


# --- lifecycle -------------------------------------------------------------------------------


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
    incident = _editable(session, incident_id)
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
    incident = _get_active(session, incident_id)
    if not result or not result.strip():
        raise InvalidInput("result", "resolving needs a result report")
    deadline = _pending_deadline(session, incident.id)
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
    _tell(session, plan, incident, now, "resolved", [incident.report_to_role])
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


# --- playbook and review (S3.5, S3.7) -------------------------------------------------------


def set_step(
    session: Session,
    actor: Actor,
    now: datetime,
    incident_id: int,
    step_id: int,
    state: Literal["done", "skipped", "pending"],
    note: str = "",
) -> PlaybookStep:
    incident = _editable(session, incident_id)
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
    incident = _editable(session, incident_id)
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
    incident = _editable(session, incident_id)
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


# --- deadlines (S3.4) ------------------------------------------------------------------------


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
        _tell(session, plan, incident, now, "breached", roles)
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
        _tell(session, plan, incident, now, "deadline_near", roles)


def tick_job(db: Database, now: datetime) -> list[int]:
    """The ticker as a background job: its own transaction, ids of what it escalated."""
    with db.transaction() as session:
        return [incident.id for incident in tick(session, now)]


def _start_deadline(incident: Incident, now: datetime) -> None:
    due = now + timedelta(minutes=incident.deadline_minutes)
    incident.deadline_at = due
    incident.deadlines.append(Deadline(level=incident.level, started_at=now, due_at=due))


def _pending_deadline(session: Session, incident_id: int) -> Deadline | None:
    return session.scalar(
        select(Deadline).where(Deadline.incident_id == incident_id, Deadline.state == "pending")
    )


# --- reading ---------------------------------------------------------------------------------


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


# --- helpers ---------------------------------------------------------------------------------


def _check_area(area: str) -> str:
    area = (area or "").strip()
    if not area:
        raise InvalidInput("area", "name the delivery area, outlet, site or shop")
    if len(area) > MAX_AREA or "|" in area:
        raise InvalidInput("area", "at most {max_area} characters, without '|'", max_area=MAX_AREA)
    return area


def _open_key(kind: str, area: str) -> str:
    return f"{kind}|{area}"


def _active(session: Session, kind: str, area: str) -> Incident | None:
    query = select(Incident).where(Incident.open_key == _open_key(kind, area)).with_for_update()
    return session.scalar(query)


def _editable(session: Session, incident_id: int) -> Incident:
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


def _get_active(session: Session, incident_id: int) -> Incident:
    incident = get(session, incident_id)
    if incident.status not in ACTIVE:
        raise Conflict(
            "incident {incident_id} is {status}", incident_id=incident_id, status=Word(incident.status)
        )
    return incident


def _apply_chain(plan: Plan, incident: Incident, level: str) -> None:
    chain = get_level(plan, level)
    incident.handler_role = chain.handler
    incident.supervisor_role = chain.supervisor
    incident.notify_roles = list(chain.notify)
    incident.report_to_role = chain.report_to
    incident.task_force = chain.task_force
    incident.deadline_minutes = chain.deadline_minutes


def _assign(session: Session, incident: Incident, now: datetime) -> None:
    """The person of the handler role on duty now (by the schedule) with the fewest active
    incidents."""
    people = on_duty(session, incident.handler_role, now)
    if not people:
        incident.assignee_id = None
        return
    load = dict(
        session.execute(
            select(Incident.assignee_id, func.count())
            .where(Incident.status.in_(ACTIVE), Incident.id != incident.id)
            .group_by(Incident.assignee_id)
        ).all()
    )
    incident.assignee_id = min(people, key=lambda p: (load.get(p.id, 0), p.priority, p.id)).id


def _tell(
    session: Session, plan: Plan, incident: Incident, now: datetime, event: str, roles: Iterable[str]
) -> None:
    def render(language: str) -> tuple[str, str]:
        values = {
            "level": get_level(plan, incident.level).name.get(language),
            "kind": get_kind(plan, incident.kind).name.get(language),
            "area": incident.area,
            "count": incident.count,
            "deadline": incident.deadline_at.astimezone(_zone(plan)).strftime("%m-%d %H:%M"),
            "id": incident.id,
            "result": incident.result_report or "",
        }
        subject = gettext(language, SUBJECTS[event], **values)
        body = gettext(language, BODIES[event], **values)
        return subject, body

    notify.enqueue(
        session, now, event=event, roles=roles, render=render, incident_id=incident.id, level=incident.level
    )


def _zone(plan: Plan) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(plan.timezone)


SUBJECTS = {
    "opened": "[{level}] New incident #{id}: {kind} in {area}",
    "level_raised": "[{level}] Incident #{id} raised: {kind} in {area}",
    "level_changed": "[{level}] Incident #{id} level changed: {kind} in {area}",
    "deadline_near": "[{level}] Deadline near on incident #{id}: {kind} in {area}",
    "breached": "[{level}] Deadline missed on incident #{id}: {kind} in {area}",
    "resolved": "[{level}] Incident #{id} resolved: {kind} in {area}",
}
BODIES = {
    "opened": "{kind} in {area}, count {count}. Handle it by {deadline}.",
    "level_raised": "{kind} in {area} now counts {count}. Handle it by {deadline}.",
    "level_changed": "{kind} in {area} was set to {level} by hand. Handle it by {deadline}.",
    "deadline_near": "{kind} in {area} must be handled by {deadline}. Finish it or ask for help now.",
    "breached": "{kind} in {area} was not done by {deadline}. Step in now.",
    "resolved": "Result: {result}",
}
