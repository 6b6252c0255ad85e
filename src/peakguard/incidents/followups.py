"""What follows an incident the detectors open or raise, done after it commits (issue 14; S3.3,
S3.4, S3.7): the notices to the level's roles, the page to the assignee (issue 17) and the
matching of the counted parcels and orders to the warehouse's clients.

Done inside the report, these cost 0.25 to 0.4 s an incident under load (a schedule read per
role, a row per person, the client look-ups), and the next event waited behind them. Now the
report writes the incident with its level, chain, deadline and assignee, and one row here per
follow-up, in the same transaction; the follow-ups run after the commit:

* **Never lost.** A process that dies after the incident commits leaves its rows ``pending``,
  and whoever calls :func:`run` next does them: the bus reporter right after its report, the
  live job in ``serve`` after its round, and the ``followups`` background job every round.
* **Once.** A follow-up is done in a savepoint and marked ``done`` in the same transaction; rows
  are claimed ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has one writer), so two runners
  never do the same one.
* **Retried.** One that fails is rolled back alone, its error kept, and tried again after a
  growing pause (:data:`RETRY_SECONDS`, then every last pause): never dropped.

A person's own report (the API, the CLI) and a level set by hand still do them in their own
transaction: one incident at a time, nobody queued behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.db import Database
from peakguard.incidents.models import FollowUp, Incident
from peakguard.incidents.notices import tell
from peakguard.oncall import duty, paging
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan, get_level

log = logging.getLogger(__name__)

BATCH = 50
"""Follow-ups claimed by one transaction."""
RETRY_SECONDS = (5, 30, 120, 600)
"""Pauses after the first, second, ... failure; the last repeats."""
NOTICES = ("opened", "level_raised")
CLIENTS = "clients"


def queue(session: Session, incident: Incident, now: datetime, event: str) -> FollowUp:
    """Tell the roles of the incident's (new) level and page its assignee, after the commit."""
    if event not in NOTICES:
        raise ValueError(f"no follow-up for {event!r}")
    row = _row(incident.id, now, event, incident.level, [])
    session.add(row)
    return row


def queue_clients(session: Session, incident_id: int, now: datetime, ids: Sequence[str]) -> FollowUp | None:
    """Link the incident to the clients owning some of ``ids``, after the commit."""
    if not ids:
        return None
    row = _row(incident_id, now, CLIENTS, None, list(ids))
    session.add(row)
    return row


def _row(incident_id: int, now: datetime, event: str, level: str | None, ids: list[str]) -> FollowUp:
    return FollowUp(
        incident_id=incident_id,
        event=event,
        level=level,
        ids=ids,
        created_at=now,
        state="pending",
        attempts=0,
        next_attempt_at=now,
    )


def run(session: Session, now: datetime, plan: Plan | None = None, limit: int = BATCH) -> int:
    """Do up to ``limit`` due follow-ups, oldest first; return how many were done."""
    plan = plan or current_plan()
    query = (
        select(FollowUp)
        .where(FollowUp.state == "pending", FollowUp.next_attempt_at <= now)
        .order_by(FollowUp.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    done = 0
    with duty.remembered(session):
        for row in session.scalars(query).all():
            done += _attempt(session, plan, row, now)
    return done


def _attempt(session: Session, plan: Plan, row: FollowUp, now: datetime) -> int:
    """Do one follow-up in a savepoint: 1 when done, 0 when it failed and waits for its retry."""
    try:
        with session.begin_nested():
            _do(session, plan, row, now)
    except Exception as exc:  # one failing follow-up must not hold back the others
        log.exception("incident follow-up %s (%s) failed", row.id, row.event)
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        pause = RETRY_SECONDS[min(row.attempts, len(RETRY_SECONDS)) - 1]
        row.next_attempt_at = now + timedelta(seconds=pause)
        return 0
    row.state, row.done_at, row.last_error = "done", now, None
    row.attempts += 1
    return 1


def run_due(db: Database, now: datetime, plan: Plan | None = None) -> int:
    """Every due follow-up, :data:`BATCH` a transaction (each batch committed before the next)."""
    total = 0
    while True:
        with db.transaction() as session:
            done = run(session, now, plan)
        total += done
        if done < BATCH:
            return total


def followups_job(db: Database, now: datetime) -> int:
    """The background job in ``serve``: what a process left pending when it stopped."""
    return run_due(db, now)


def pending(session: Session, incident_id: int | None = None) -> list[FollowUp]:
    query = select(FollowUp).where(FollowUp.state == "pending").order_by(FollowUp.id)
    if incident_id is not None:
        query = query.where(FollowUp.incident_id == incident_id)
    return list(session.scalars(query))


def _do(session: Session, plan: Plan, row: FollowUp, now: datetime) -> None:
    incident = session.get(Incident, row.incident_id)
    assert incident is not None  # incidents are never deleted
    if row.event == CLIENTS:
        from peakguard.stakeholders import service as stakeholders  # imports the warehouse: only here

        stakeholders.link_touched(session, now, incident.id, row.ids)
        return
    assert row.level is not None
    tell(session, plan, incident, now, row.event, get_level(plan, row.level).notify)
    if incident.level == row.level and incident.status == "open":
        # raised again meanwhile: that raise's follow-up pages; acknowledged: nobody to chase
        paging.start(session, plan, incident, now)
