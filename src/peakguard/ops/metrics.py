"""Prometheus metrics at ``GET /metrics`` (text format, one registry per app).

Two kinds of figures:

- measured in this process: requests by method, route template and status with their latency
  (the :class:`Observe` middleware labels by the route's template, ``/api/v1/incidents/{id}``,
  never the raw path, so the number of series stays bounded), and the time and failures of each
  background job round (``job="detection"`` is the detector's round time);
- counted from the database at scrape time: incidents active per level, deadlines breached,
  events ingested and dead-lettered, notifications failed and pending, the print queue. They
  come from the rows every process writes (``serve``, ``ingest``, the bus consumer), so they
  are right whichever process did the work and survive a restart.

The counts run in one read-only transaction (on SQLite it never takes or waits for the write
lock); each is one aggregate query over an indexed column or one ``count(*)``.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peakguard import __version__
from peakguard.auth.roles import Perm, allows
from peakguard.db import Database
from peakguard.deps import SessionDep, current_user
from peakguard.errors import Forbidden, Word
from peakguard.ops.logs import REQUEST_ID, request_id_from

disable_created_metrics()  # no `_created` twin of every counter: half the lines, nothing lost
log = logging.getLogger(__name__)
access_log = logging.getLogger("peakguard.access")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
"""The route label of a request no route matched (404s of any path count as one series)."""


class Metrics:
    """The app's registry and the figures measured in process."""

    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "peakguard_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "peakguard_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "peakguard_job_round_duration_seconds",
            "Time of one round of a background job of `peakguard serve` (detection is the detector).",
            ["job"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.job_failures = Counter(
            "peakguard_job_failures",
            "Background job rounds that raised (the job runs again next round).",
            ["job"],
            registry=self.registry,
        )
        from peakguard.background import jobs

        for (
            name,
            _,
        ) in jobs():  # each job's series exists from the start, at 0: increase() sees a first failure
            self.job_failures.labels(name)
        Info("peakguard_build", "The running PeakGuard version.", registry=self.registry).info(
            {"version": __version__}
        )
        self.registry.register(DatabaseFigures(db))

    def job_done(self, job: str, seconds: float, failed: bool) -> None:
        self.job_seconds.labels(job).observe(seconds)
        if failed:
            self.job_failures.labels(job).inc()

    def request_done(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class DatabaseFigures(Collector):
    """The figures counted from the database on each scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def describe(self) -> list[Any]:
        return []  # computed at scrape time: nothing to check for clashes at registration

    def collect(self) -> Iterator[Any]:
        started = time.perf_counter()
        try:
            families = self._families()
        except Exception:  # the scrape still answers: the process figures and database_up 0
            log.warning("metrics: the database could not be read", exc_info=True)
            families, up = [], 0
        else:
            up = 1
        yield from families
        yield GaugeMetricFamily(
            "peakguard_database_up", "1 when the database answered this scrape.", value=up
        )
        yield GaugeMetricFamily(
            "peakguard_metrics_database_seconds",
            "Time this scrape spent counting in the database.",
            value=time.perf_counter() - started,
        )

    def _families(self) -> list[Any]:
        from peakguard.incidents.models import ACTIVE, Deadline, Incident
        from peakguard.monitor.models import DeadLetter, MonitorEvent
        from peakguard.notify.models import Notification
        from peakguard.plan.service import current_plan
        from peakguard.printing.models import PrintJob

        with self.db.reads() as session:  # one snapshot; on SQLite no write lock taken or awaited
            count = func.count()
            active = dict(
                session.execute(
                    select(Incident.level, count).where(Incident.status.in_(ACTIVE)).group_by(Incident.level)
                ).all()
            )
            breached = dict(
                session.execute(
                    select(Deadline.level, count).where(Deadline.state == "breached").group_by(Deadline.level)
                ).all()
            )
            events = session.scalar(select(func.count()).select_from(MonitorEvent)) or 0
            dead = session.scalar(select(func.count()).select_from(DeadLetter)) or 0
            notes = dict(
                session.execute(select(Notification.status, count).group_by(Notification.status)).all()
            )
            prints = dict(session.execute(select(PrintJob.status, count).group_by(PrintJob.status)).all())

        levels = sorted(set(current_plan().levels) | set(active) | set(breached))
        open_now = GaugeMetricFamily(
            "peakguard_incidents_active", "Incidents open or acknowledged, by level.", labels=["level"]
        )
        fired = CounterMetricFamily(
            "peakguard_deadlines_breached",
            "Deadlines that passed unmet (each fires once), by level.",
            labels=["level"],
        )
        for level in levels:
            open_now.add_metric([level], active.get(level, 0))
            fired.add_metric([level], breached.get(level, 0))
        return [
            open_now,
            fired,
            CounterMetricFamily(
                "peakguard_events_ingested", "Events stored (each event id once).", value=events
            ),
            CounterMetricFamily(
                "peakguard_events_dead_lettered",
                "Malformed events kept in the dead-letter store.",
                value=dead,
            ),
            CounterMetricFamily(
                "peakguard_notifications_failed",
                "Notifications no channel accepted after every retry (handed to the next on duty).",
                value=notes.get("failed", 0),
            ),
            GaugeMetricFamily(
                "peakguard_notifications_pending",
                "Notifications waiting to be delivered.",
                value=notes.get("pending", 0),
            ),
            GaugeMetricFamily(
                "peakguard_print_queue_depth",
                "Print jobs not yet with CUPS (queued, or claimed and being sent).",
                value=prints.get("queued", 0) + prints.get("sending", 0),
            ),
        ]


class Observe:
    """ASGI middleware around every HTTP request: gives it a request id (the caller's
    ``X-Request-ID`` when sane, else a new one, returned in the answer), then records its
    status and time by route template and writes one access log line."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        request_id = request_id_from(given.decode("latin-1"))
        REQUEST_ID.set(request_id)  # not reset: the 500 handler outside this middleware logs it too
        status = 500  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.request_done(scope["method"], route, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %d %.1f ms",
                    scope["method"],
                    scope["path"],
                    status,
                    seconds * 1000,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "client": (scope.get("client") or ("-",))[0],
                    },
                )


router = APIRouter(include_in_schema=False)


async def metrics_reader(request: Request, session: SessionDep) -> None:
    """Who may scrape: the scrape token (``PEAKGUARD_METRICS_TOKEN``, what Prometheus is given),
    or any user token or session whose role grants ``metrics:read`` (admin). The figures show
    volumes and failures of every client, so they are not public."""
    expected = request.app.state.settings.metrics_token
    header = request.headers.get("authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if expected and given and hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        return
    user = await current_user(request, session)
    if not allows(user.role, Perm.METRICS_READ):
        raise Forbidden(
            "role {role!r} may not do {permission}", role=Word(user.role), permission=Perm.METRICS_READ.value
        )


@router.get("/metrics")
def metrics(request: Request, _: None = Depends(metrics_reader)) -> Response:
    """The Prometheus text exposition of this app's registry."""
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
