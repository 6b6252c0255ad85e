"""Snoozing and the mute round (issue 17 noise control; see :mod:`peakguard.oncall.mutes`).

* **Snooze**: a person holds an active incident's paging until a time, saying why (audited,
  on the timeline). Paging stops at once. It ends at its time, by hand, or when the incident's
  level changes (the new level's chain must hear of it; the level change pages as usual).
* **The round** (:func:`tick`, in the on-call job before paging): records the inhibitions the
  plan's rules find now (paging of the muted incident stops), ends inhibitions whose source is
  no longer active and snoozes that ran out, and restarts paging of an incident still open and
  no longer held: it resumes as a new escalation from the assignee. Each end is claimed with a
  conditional update (``ended_at IS NULL``), so two tickers or a restart end and resume once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound, Word
from peakguard.incidents.models import ACTIVE, Incident
from peakguard.incidents.timeline import add_entry
from peakguard.oncall import mutes, paging
from peakguard.oncall.mutes import INHIBITED, SNOOZED, Mute
from peakguard.plan.schemas import Plan

MAX_REASON = 200


def snooze(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    incident_id: int,
    *,
    until: datetime,
    reason: str,
) -> Mute:
    """Hold the incident's paging until ``until`` (a running snooze is replaced)."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("no incident {incident_id}", field="incident_id", incident_id=incident_id)
    if incident.status not in ACTIVE:
        raise Conflict(
            "incident {incident_id} is {status}; only an active one is snoozed", field="status",
            incident_id=incident_id, status=Word(incident.status),
        )
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput("reason", "say why paging may wait (1 to {max_reason} characters)", max_reason=MAX_REASON)
    if until <= now:
        raise InvalidInput("until", "must be later than now")
    if until - now > timedelta(hours=plan.oncall.snooze_max_hours):
        raise InvalidInput("until", "a snooze lasts at most {snooze_max_hours} hours", snooze_max_hours=plan.oncall.snooze_max_hours)
    _end(session, incident, SNOOZED, now, "replaced", Actor.system("snooze"))
    mute = Mute(
        incident_id=incident.id, cause=SNOOZED, level=incident.level, reason=reason, by=actor.name,
        start_at=now, until_at=until, open_key=mutes.open_key(incident.id, SNOOZED),
    )  # fmt: skip
    session.add(mute)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "incident {incident_id} was snoozed at the same moment; try again", field="incident_id",
            incident_id=incident_id,
        ) from None
    paging.stop(session, incident.id)
    add_entry(session, incident, actor, now, "snoozed", reason, until=until, reason=reason)
    record(
        session,
        actor,
        "incident.snooze",
        "incident",
        incident.id,
        now,
        until=until.isoformat(),
        reason=reason,
    )
    return mute


def unsnooze(session: Session, actor: Actor, now: datetime, plan: Plan, incident_id: int) -> Incident:
    """End a running snooze by hand: paging restarts if the incident is still open."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("no incident {incident_id}", field="incident_id", incident_id=incident_id)
    if not _end(session, incident, SNOOZED, now, "ended", actor):
        raise Conflict("incident {incident_id} is not snoozed", field="incident_id", incident_id=incident_id)
    record(session, actor, "incident.unsnooze", "incident", incident.id, now)
    _resume(session, plan, incident, now)
    return incident


def tick(session: Session, now: datetime, plan: Plan) -> list[int]:
    """One mute round (module doc); return the ids of the incidents whose paging resumed."""
    actor = Actor.system("inhibition")
    for rule in plan.oncall.inhibit:
        behind = {area for areas in rule.behind.values() for area in areas}
        targets = session.scalars(
            select(Incident).where(
                Incident.kind == rule.target, Incident.area.in_(behind), Incident.status.in_(ACTIVE)
            )
        ).all()
        for incident in targets:
            source = mutes.inhibitor(session, plan, incident)
            if source is not None and mutes.mark_inhibited(session, incident, source, now) is not None:
                paging.stop(session, incident.id)
    resumed = []
    for mute in session.scalars(select(Mute).where(Mute.ended_at.is_(None)).order_by(Mute.id)).all():
        muted = session.get(Incident, mute.incident_id)
        assert muted is not None
        reason = _why_over(session, plan, mute, muted, now)
        if reason is None or not _end(session, muted, mute.cause, now, reason, actor):
            continue
        if reason in ("time", "source_resolved") and _resume(session, plan, muted, now):
            resumed.append(muted.id)
    return resumed


def _why_over(session: Session, plan: Plan, mute: Mute, incident: Incident, now: datetime) -> str | None:
    if incident.status not in ACTIVE:
        return "resolved"
    if mute.cause == SNOOZED:
        if mute.level != incident.level:
            return "level_raised"
        return "time" if mute.until_at is not None and mute.until_at <= now else None
    source = session.get(Incident, mute.source_id) if mute.source_id else None
    if source is None or source.status not in ACTIVE or mutes.inhibitor(session, plan, incident) is None:
        return "source_resolved"
    return None


def _end(session: Session, incident: Incident, cause: str, now: datetime, reason: str, actor: Actor) -> bool:
    """End the running mute of ``cause`` once (conditional update); say so on the timeline."""
    key = mutes.open_key(incident.id, cause)
    mute = session.scalars(select(Mute).where(Mute.open_key == key)).first()
    if mute is None:
        return False
    claimed = session.execute(
        update(Mute)
        .where(Mute.id == mute.id, Mute.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason, open_key=None)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    event = "unmuted" if cause == INHIBITED else "snooze_ended"
    add_entry(session, incident, actor, now, event, reason, reason=reason, source=mute.source_id)
    return True


def _resume(session: Session, plan: Plan, incident: Incident, now: datetime) -> bool:
    """Page again an incident still waiting for an acknowledgement and no longer held."""
    if incident.status != "open" or mutes.held(session, plan, incident, now):
        return False
    return paging.start(session, plan, incident, now) is not None
