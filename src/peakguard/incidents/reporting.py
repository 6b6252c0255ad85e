"""Reporting and raising (S3.3): the only way an incident is opened or changes level.

* **Classify**: a report of ``count`` units of a kind gets the highest level whose threshold it
  reaches (``count >= min_count``), else the kind's base level.
* **Group**: while an incident of the same kind and area is active (open or acknowledged), a new
  report updates it instead of opening another. The report says whether its count is ``add``ed
  (new parcels on top) or ``replace``s the count (a fresh total, as a detector measures it).
* **Raise**: if the new count reaches a higher level, the incident takes it: the chain is
  re-assigned from the new level, the running deadline is superseded and a new one starts *now*
  with the new level's minutes, the incident goes back to ``open`` for the new handler to
  acknowledge, and the new level's roles are told. A lower count never lowers the level; only a
  person can change it by hand, with a reason (and the deadline then restarts too).
* **Paging** (issue 17, :mod:`peakguard.oncall.paging`): opening or re-levelling pages the
  assignee until someone acknowledges. It runs beside the deadline and never changes it.
* **Follow-ups** (issue 14): the notices and the page are done in the report's transaction,
  or, with ``defer`` (the detectors' reports), queued in it and done after the commit by
  :mod:`peakguard.incidents.followups`, so the incident is open without waiting for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput
from peakguard.incidents import followups
from peakguard.incidents.deadlines import pending_deadline, start_deadline
from peakguard.incidents.models import ACTIVE, Incident, PlaybookStep
from peakguard.incidents.notices import tell
from peakguard.incidents.queries import get_active
from peakguard.incidents.timeline import add_entry as _timeline
from peakguard.oncall import paging
from peakguard.oncall.duty import on_duty
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan, get_kind, get_level, level_for, rank

CountMode = Literal["add", "replace"]
MAX_AREA = 64


@dataclass(frozen=True)
class ReportResult:
    incident: Incident
    created: bool
    raised_from: str | None = None


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
    defer: bool = False,
) -> ReportResult:
    """Open an incident, or update the active one of the same kind and area (see module doc);
    ``defer`` leaves the notices and the page to :mod:`peakguard.incidents.followups`."""
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
                incident = _open(
                    session, actor, now, plan, kind, area, count, summary, source, details, defer
                )
            return ReportResult(incident, created=True)
        except IntegrityError:
            # Another process opened the same kind and area between our look and our insert.
            existing = _active(session, kind, area)
            if existing is None:
                raise
    return _update(session, actor, now, plan, existing, count, mode, summary, details, defer)


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
    defer: bool,
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
    start_deadline(incident, now)
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
    _follow_up(session, plan, incident, now, "opened", defer)
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
    defer: bool,
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
            defer=defer,
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
    defer: bool = False,
) -> None:
    old = incident.level
    incident.level = level
    _apply_chain(plan, incident, level)
    pending = pending_deadline(session, incident.id)
    if pending is not None:
        pending.state, pending.fired_at = "superseded", now
    start_deadline(incident, now)
    incident.breached = False
    if incident.status == "acknowledged":
        incident.status = "open"  # the new chain's handler has to take it up
        incident.acknowledged_at = None
    _assign(session, incident, now)
    _timeline(
        session, incident, actor, now, event, f"{old} -> {level}: {reason}", old=old, new=level, reason=reason
    )
    _follow_up(session, plan, incident, now, event, defer)


def _follow_up(
    session: Session, plan: Plan, incident: Incident, now: datetime, event: str, defer: bool
) -> None:
    """Tell the level's roles and page the assignee: now, or after the commit (``defer``)."""
    if defer:
        followups.queue(session, incident, now, event)
        return
    tell(session, plan, incident, now, event, incident.notify_roles)
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
    incident = get_active(session, incident_id)
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
