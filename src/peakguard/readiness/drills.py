"""Drills (S1, S3.4): inject a simulated fault into the running system, then measure how long
the team took to acknowledge and to resolve the incident it opened, against the deadline of the
incident's level. The result stays on the readiness page.

The drill feeds its events through the normal ingest path and lets the live detector open the
incident, so a drill rehearses the whole chain: detection, notification, people.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import InvalidInput, NotFound
from peakguard.incidents.models import Incident
from peakguard.monitor import service as monitor
from peakguard.plan.schemas import Plan
from peakguard.readiness.models import DRILL_TAG, Drill
from peakguard.sim import drills as scenarios


def is_drill(area: str) -> bool:
    """A drill's incident, to badge it 演练 and keep it out of the live charts."""
    return area.startswith(DRILL_TAG)


def start(session: Session, actor: Actor, now: datetime, plan: Plan, scenario: str) -> Drill:
    if scenario not in scenarios.SCENARIOS:
        raise InvalidInput(
            "scenario",
            "unknown scenario {scenario!r}; choose from {choices}",
            scenario=scenario,
            choices=", ".join(scenarios.SCENARIOS),
        )
    chosen = scenarios.SCENARIOS[scenario]
    drill = Drill(
        scenario=scenario, kind=chosen.kind, scope="-", started_at=now, started_by=actor.name, events=0
    )
    session.add(drill)
    session.flush()  # the id names the drill's scope
    tag = f"{DRILL_TAG}{drill.id}"
    events = scenarios.build(scenario, plan, now, tag)
    monitor.ingest(session, actor, now, enumerate(events, start=1), source=f"drill:{drill.id}")
    drill.scope, drill.events = chosen.scope(tag), len(events)
    record(session, actor, "readiness.drill", "drill", drill.id, now, scenario=scenario, events=len(events))
    return drill


def refresh(session: Session, now: datetime, drill: Drill) -> Drill:
    """Link the drill to its incident and record the times once they exist. A drill whose
    deadline passed shows ``missed`` at once and still gets its resolve time later."""
    if drill.resolved_seconds is not None:
        return drill
    incident = session.scalar(
        select(Incident)
        .where(Incident.kind == drill.kind, Incident.area == drill.scope)
        .order_by(Incident.id)
    )
    if incident is None:
        return drill
    drill.incident_id = incident.id
    drill.deadline_minutes = incident.deadline_minutes
    if incident.acknowledged_at is not None:
        drill.acknowledged_seconds = _seconds(incident.acknowledged_at - drill.started_at)
    limit = timedelta(minutes=incident.deadline_minutes)
    if incident.resolved_at is not None:
        drill.resolved_seconds = _seconds(incident.resolved_at - drill.started_at)
        drill.outcome = "met" if incident.resolved_at - drill.started_at <= limit else "missed"
    elif now - drill.started_at > limit:
        drill.outcome = "missed"
    return drill


def refresh_running(session: Session, now: datetime) -> list[Drill]:
    running = session.scalars(select(Drill).where(Drill.resolved_seconds.is_(None))).all()
    return [refresh(session, now, d) for d in running]


def get(session: Session, drill_id: int) -> Drill:
    drill = session.get(Drill, drill_id)
    if drill is None:
        raise NotFound("no drill {drill_id}", field="drill", drill_id=drill_id)
    return drill


def recent(session: Session, limit: int = 20) -> list[Drill]:
    return list(session.scalars(select(Drill).order_by(Drill.id.desc()).limit(limit)))


def _seconds(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds()))
