"""Noise control (issue 17): maintenance windows silence detection exactly where and when they
say, and feed heartbeats make a dead feed loud, since a site that sends nothing looks calm.

* A **maintenance window** covers one scope (an area, site or shop), one incident kind or all,
  from a time to a time, with a reason. While it runs, detector signals it covers are not
  reported (nor remembered as reported, so whatever is still wrong when it ends is reported
  then). Reports made by hand are never silenced.
* A **heartbeat** per feed (each scanning site, each shop) keeps the newest event time. A feed
  heard before and silent for ``oncall.feed_silent_minutes`` opens a ``feed_silent`` incident
  once: the alert is claimed with a conditional update (``alerted_at IS NULL``), like the
  deadlines, and re-armed only when the feed speaks again. A window covering the feed's scope
  (kind ``feed_silent`` or all kinds) holds the alert back while it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import InvalidInput, NotFound
from peakguard.incidents import reporting
from peakguard.monitor import heartbeat
from peakguard.monitor.signals import Signal
from peakguard.oncall.models import FeedHeartbeat, MaintenanceWindow
from peakguard.plan.schemas import Plan

FEED_SILENT = "feed_silent"
MAX_WINDOW_DAYS = 31


# --- maintenance windows ---------------------------------------------------------------------


def add_window(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    *,
    scope: str,
    start: datetime,
    end: datetime,
    reason: str,
    kind: str | None = None,
) -> MaintenanceWindow:
    scope = scope.strip()
    if not scope or len(scope) > 64:
        raise InvalidInput("scope", "name the area, site or shop (at most 64 characters)")
    if kind is not None and kind not in plan.kinds:
        raise InvalidInput("kind", "unknown incident kind {kind!r}", kind=kind)
    if end <= start:
        raise InvalidInput("end", "must be after start")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise InvalidInput("end", "a maintenance window lasts at most {max_window_days} days", max_window_days=MAX_WINDOW_DAYS)
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise InvalidInput("reason", "say why it is planned (1 to 200 characters)")
    window = MaintenanceWindow(
        kind=kind, scope=scope, start_at=start, end_at=end, reason=reason, created_at=now, created_by=actor.name
    )
    session.add(window)
    session.flush()
    record(
        session, actor, "oncall.maintenance", "maintenance", window.id, now,
        scope=scope, kind=kind, start=start.isoformat(), end=end.isoformat(),
    )  # fmt: skip
    return window


def end_window(session: Session, actor: Actor, now: datetime, window_id: int) -> MaintenanceWindow:
    """End a window now (the hub reopened early); a window not yet begun is cut to nothing."""
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound("no maintenance window {window_id}", field="window", window_id=window_id)
    window.end_at = max(min(window.end_at, now), window.start_at)
    record(session, actor, "oncall.maintenance_end", "maintenance", window.id, now)
    return window


def list_windows(session: Session, now: datetime) -> list[MaintenanceWindow]:
    """Windows running or to come, soonest first."""
    query = select(MaintenanceWindow).where(MaintenanceWindow.end_at > now).order_by(MaintenanceWindow.start_at)
    return list(session.scalars(query))


def window_for(session: Session, now: datetime, kind: str, scope: str) -> MaintenanceWindow | None:
    """The running window that silences ``kind`` at ``scope``, if any."""
    query = select(MaintenanceWindow).where(
        MaintenanceWindow.scope == scope,
        or_(MaintenanceWindow.kind.is_(None), MaintenanceWindow.kind == kind),
        MaintenanceWindow.start_at <= now,
        MaintenanceWindow.end_at > now,
    )
    return session.scalars(query.limit(1)).first()


def audible(session: Session, now: datetime, signals: Sequence[Signal]) -> list[Signal]:
    """The signals no running window silences (one query for the round, not one per signal)."""
    running = session.scalars(
        select(MaintenanceWindow).where(MaintenanceWindow.start_at <= now, MaintenanceWindow.end_at > now)
    ).all()
    if not running:
        return list(signals)
    quiet = {(w.kind, w.scope) for w in running}
    return [s for s in signals if (None, s.scope) not in quiet and (s.kind, s.scope) not in quiet]


# --- feed heartbeats -------------------------------------------------------------------------


def check_feeds(session: Session, now: datetime, plan: Plan) -> list[int]:
    """Refresh each feed's last event time, re-arm feeds that spoke again, and open
    ``feed_silent`` once for each feed silent too long; return the incident ids opened."""
    newest = session.scalar(select(func.max(FeedHeartbeat.last_seen_at)))
    heartbeat.forget_superseded(session)
    for key, (name, at) in heartbeat.last_seen(session, newest).items():
        feed = session.get(FeedHeartbeat, key)
        if feed is None:
            session.add(FeedHeartbeat(key=key, name=name, last_seen_at=at))
        elif at > feed.last_seen_at:
            feed.last_seen_at = at
            if feed.alerted_at is not None and at > feed.alerted_at:
                feed.alerted_at = None  # heard again: the next silence alerts again
    session.flush()
    minutes = plan.oncall.feed_silent_minutes
    silent = session.scalars(
        select(FeedHeartbeat).where(
            FeedHeartbeat.alerted_at.is_(None), FeedHeartbeat.last_seen_at <= now - timedelta(minutes=minutes)
        )
    ).all()
    opened = []
    actor = Actor.system("heartbeat")
    for feed in silent:
        if window_for(session, now, FEED_SILENT, feed.name) is not None:
            continue  # planned: held back while the window runs
        claimed = session.execute(
            update(FeedHeartbeat)
            .where(FeedHeartbeat.key == feed.key, FeedHeartbeat.alerted_at.is_(None))
            .values(alerted_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another server alerted first
        result = reporting.report(
            session, actor, now, kind=FEED_SILENT, area=feed.name, source="heartbeat", plan=plan,
            summary=f"{feed.key}: no event since {feed.last_seen_at.isoformat()} ({minutes} min or more)",
            details={"feed": feed.key, "last_seen_at": feed.last_seen_at.isoformat()},
        )  # fmt: skip
        session.execute(
            update(FeedHeartbeat)
            .where(FeedHeartbeat.key == feed.key)
            .values(incident_id=result.incident.id)
            .execution_options(synchronize_session=False)
        )
        opened.append(result.incident.id)
    return opened


def feeds(session: Session) -> list[FeedHeartbeat]:
    return list(session.scalars(select(FeedHeartbeat).order_by(FeedHeartbeat.last_seen_at)))
