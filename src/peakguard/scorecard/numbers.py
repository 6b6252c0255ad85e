"""Response numbers and the outlet scorecard (issue 17; S3.7 (1) track every response, (3) hold
the responsible accountable; S3.5 (2) the penalty ladder).

* **Response times** per level, per person (the assignee), per outlet (the incident's area:
  delivery area or outlet, S3.3) or per local week of opening: incidents, how many were
  acknowledged and resolved, the mean and longest minutes from opening to acknowledgement and
  to resolution, and breaches. One ``GROUP BY`` query each; the database computes durations
  (``julianday`` on SQLite, ``EXTRACT(EPOCH ...)`` on PostgreSQL), never a loop over rows here.
  The acknowledgement counted is the latest: a level raise asks the new chain to acknowledge
  again (S3.4), so it measures how fast the people responsible at the end answered.
* **Outlet scorecard**: per outlet, its incidents of the kinds the plan marks ``penalty``, the
  breaches among them, and the penalties the after-action reviews gave it so far (reviews that
  name the outlet accountable). The suggested next step is the one after the most severe given
  (the ladder climbs, S3.5 (2)), the mildest if none yet, and the last stays the last.
  Drill incidents (``DRILL-...``) are left out: a rehearsal penalises no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Float, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from peakguard.errors import InvalidInput
from peakguard.incidents.models import Incident, Review
from peakguard.plan.schemas import PenaltyStep, Plan
from peakguard.readiness.models import DRILL_TAG
from peakguard.roster.models import Person

By = Literal["level", "person", "outlet", "week"]
BY: tuple[By, ...] = ("level", "person", "outlet", "week")


@dataclass(frozen=True)
class Row:
    key: str
    incidents: int
    acknowledged: int
    resolved: int
    breached: int
    ack_mean_minutes: float | None
    ack_max_minutes: float | None
    resolve_mean_minutes: float | None
    resolve_max_minutes: float | None


@dataclass(frozen=True)
class Outlet:
    outlet: str
    incidents: int
    breached: int
    penalties: dict[str, int]
    """Penalty step id -> how many reviews gave it."""
    next_step: PenaltyStep


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """``end - start`` in seconds, computed by the database."""
    if session.get_bind().dialect.name == "sqlite":
        return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)
    return cast(func.extract("epoch", end - start), Float)


def week_of(session: Session, plan: Plan, now: datetime, column: Any) -> ColumnElement[str]:
    """The local Monday (``YYYY-MM-DD``) of the week ``column`` falls in, by the database. SQLite
    has no time zones: it shifts by the plan zone's offset at ``now`` (the default zone,
    Asia/Shanghai, keeps one offset all year)."""
    if session.get_bind().dialect.name == "sqlite":
        offset = ZoneInfo(plan.timezone).utcoffset(now.replace(tzinfo=None))
        minutes = int(offset.total_seconds() // 60) if offset else 0
        return func.date(column, f"{minutes:+d} minutes", "-6 days", "weekday 1")
    local = func.timezone(plan.timezone, column)
    return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")


def response_times(
    session: Session,
    plan: Plan,
    now: datetime,
    by: str,
    *,
    since: datetime | None = None,
    kind: str | None = None,
) -> list[Row]:
    """One row per level, person, outlet or week (module doc), in a natural order."""
    if by not in BY:
        raise InvalidInput("by", "one of {choices}", choices=", ".join(BY))
    if kind is not None and kind not in plan.kinds:
        raise InvalidInput("kind", "unknown incident kind {kind!r}", kind=kind)
    ack = seconds_between(session, Incident.opened_at, Incident.acknowledged_at) / 60.0
    done = seconds_between(session, Incident.opened_at, Incident.resolved_at) / 60.0
    key: Any
    if by == "level":
        key = Incident.level
    elif by == "outlet":
        key = Incident.area
    elif by == "week":
        key = week_of(session, plan, now, Incident.opened_at)
    else:
        key = func.coalesce(Person.name, literal("-"))
    query = select(
        key.label("key"),
        func.count(),
        func.count(Incident.acknowledged_at),
        func.count(Incident.resolved_at),
        func.sum(case((Incident.breached, 1), else_=0)),
        func.avg(ack),
        func.max(ack),
        func.avg(done),
        func.max(done),
    ).where(~Incident.area.startswith(DRILL_TAG))
    if by == "person":
        query = query.outerjoin(Person, Person.id == Incident.assignee_id)
    if since is not None:
        query = query.where(Incident.opened_at >= since)
    if kind is not None:
        query = query.where(Incident.kind == kind)
    query = query.group_by(key)
    rows = [
        Row(str(k), n, acked, resolved, int(breached or 0), _round(a), _round(am), _round(r), _round(rm))
        for k, n, acked, resolved, breached, a, am, r, rm in session.execute(query)
    ]
    if by == "level":
        ranks = {key: level.rank for key, level in plan.levels.items()}
        return sorted(rows, key=lambda row: -ranks.get(row.key, 0))
    if by in ("person", "outlet"):
        return sorted(rows, key=lambda row: (-row.incidents, row.key))
    return sorted(rows, key=lambda row: row.key)


def outlets(session: Session, plan: Plan, *, exclude_incident: int | None = None) -> list[Outlet]:
    """The outlet scorecard, worst first (most breaches, then most incidents)."""
    kinds = [key for key, kind in plan.kinds.items() if kind.penalty]
    counted = session.execute(
        select(Incident.area, func.count(), func.sum(case((Incident.breached, 1), else_=0)))
        .where(Incident.kind.in_(kinds), ~Incident.area.startswith(DRILL_TAG))
        .group_by(Incident.area)
    ).all()
    given = _penalties(session, exclude_incident)
    names = {area for area, _, _ in counted} | set(given)
    stats = {area: (n, int(b or 0)) for area, n, b in counted}
    out = [
        Outlet(
            name,
            stats.get(name, (0, 0))[0],
            stats.get(name, (0, 0))[1],
            given.get(name, {}),
            next_step(plan, given.get(name, {})),
        )
        for name in names
    ]
    return sorted(out, key=lambda o: (-o.breached, -o.incidents, o.outlet))


def suggestion(session: Session, plan: Plan, outlet: str, exclude_incident: int | None = None) -> Outlet:
    """One outlet's card, for the after-action review of an incident there (its own review left
    out, so editing it does not move the suggestion)."""
    kinds = [key for key, kind in plan.kinds.items() if kind.penalty]
    n, breached = session.execute(
        select(func.count(), func.sum(case((Incident.breached, 1), else_=0))).where(
            Incident.kind.in_(kinds), Incident.area == outlet
        )
    ).one()
    given = _penalties(session, exclude_incident, outlet).get(outlet, {})
    return Outlet(outlet, n, int(breached or 0), given, next_step(plan, given))


def next_step(plan: Plan, given: dict[str, int]) -> PenaltyStep:
    ladder = list(plan.penalty_ladder)
    ids = [step.id for step in ladder]
    worst = max((ids.index(step) for step in given if step in ids), default=-1)
    return ladder[min(worst + 1, len(ladder) - 1)]


def _penalties(
    session: Session, exclude_incident: int | None, outlet: str | None = None
) -> dict[str, dict[str, int]]:
    query = (
        select(Review.accountable_name, Review.penalty_step, func.count())
        .where(
            Review.accountable_type == "outlet",
            Review.penalty_step.is_not(None),
            Review.accountable_name.is_not(None),
        )
        .group_by(Review.accountable_name, Review.penalty_step)
    )
    if exclude_incident is not None:
        query = query.where(Review.incident_id != exclude_incident)
    if outlet is not None:
        query = query.where(Review.accountable_name == outlet)
    out: dict[str, dict[str, int]] = {}
    for name, step, n in session.execute(query):
        out.setdefault(str(name), {})[str(step)] = n
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)
