"""Operable in production (issue 13): health checks for the load balancer, Prometheus metrics for
the operator, on SQLite and PostgreSQL, against the real NATS server when one answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from peakguard import background
from peakguard.app import create_app
from peakguard.clock import FrozenClock
from peakguard.config import Settings
from peakguard.db import Database
from peakguard.incidents import deadlines, reporting
from peakguard.monitor.service import ingest
from peakguard.notify.models import Notification
from peakguard.plan.schemas import Plan
from peakguard.printing import service as printing
from tests.factories import ADMIN

NATS_URL = "nats://127.0.0.1:4222"
SCRAPE_TOKEN = "scrape-token-for-tests-0123456789"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def _nats_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=1).close()
        return True
    except OSError:
        return False


def _app(db: Database, clock: FrozenClock, **settings: Any) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**settings), db=db, clock=clock)) as client:
        yield client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz_needs_no_database_and_readyz_names_the_database_when_it_is_down(clock: FrozenClock) -> None:
    down = Database(f"postgresql://postgres@127.0.0.1:{_closed_port()}/nothing")
    with TestClient(create_app(Settings(), db=down, clock=clock)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    down.dispose()
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "OperationalError" and "bus" not in body["checks"]


def test_readyz_on_a_live_database(client: TestClient) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"]["ok"] is True


def test_readyz_refuses_an_empty_database_file(tmp_path: Path, clock: FrozenClock) -> None:
    """A SQLite path that points at a new, empty file answers queries but holds nothing."""
    empty = Database(f"sqlite:///{tmp_path / 'moved-away.db'}")
    with TestClient(create_app(Settings(), db=empty, clock=clock)) as client:
        ready = client.get("/readyz")
    empty.dispose()
    assert ready.status_code == 503 and ready.json()["checks"]["database"]["error"] == "OperationalError"


def test_readyz_checks_nats_when_a_bus_is_configured(db: Database, clock: FrozenClock) -> None:
    for client in _app(db, clock, bus_url=f"nats://127.0.0.1:{_closed_port()}"):
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["checks"]["database"]["ok"] is True and down.json()["checks"]["bus"]["ok"] is False
    if not _nats_answers():
        pytest.skip(f"no NATS server answers at {NATS_URL}")
    for client in _app(db, clock, bus_url=NATS_URL):
        up = client.get("/readyz")
        assert up.status_code == 200 and up.json()["checks"]["bus"]["ok"] is True


def test_metrics_need_the_scrape_token_or_an_admin(
    db: Database, clock: FrozenClock, headers_for: Any
) -> None:
    for client in _app(db, clock, metrics_token=SCRAPE_TOKEN):
        nobody = client.get("/metrics")
        assert nobody.status_code == 401 and nobody.json()["error"]["code"] == "unauthorized"
        forged = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert forged.status_code == 401
        assert client.get("/metrics", headers=headers_for("leader")).status_code == 403
        assert client.get("/metrics", headers=headers_for("admin")).status_code == 200
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
        assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    for client in _app(db, clock):  # no scrape token configured: an empty bearer is no way in
        assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_requests_are_counted_by_route_template(client: TestClient, headers_for: Any) -> None:
    """Ten incident ids and ten unknown paths make two series, not twenty."""
    admin = headers_for("admin")
    for n in range(1, 11):
        client.get(f"/api/v1/incidents/{n}", headers=admin)
        client.get(f"/no/such/page/{n}")
    got = samples(client.get("/metrics", headers=admin).text)
    route = "/api/v1/incidents/{incident_id}"
    key = (("method", "GET"), ("route", route), ("status", "404"))
    assert got[("peakguard_http_requests_total", key)] == 10
    assert got[("peakguard_http_request_duration_seconds_count", (("method", "GET"), ("route", route)))] == 10
    unmatched = (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))
    assert got[("peakguard_http_requests_total", unmatched)] == 10
    assert not any("/no/such" in str(labels) for _, labels in got)


def test_figures_from_the_database(
    client: TestClient, db: Database, clock: FrozenClock, plan: Plan, headers_for: Any
) -> None:
    """Incidents active per level, deadlines breached, events stored and dead-lettered,
    notifications failed and pending, the print queue: counted from the rows at scrape time."""
    now = clock.now()
    with db.transaction() as s:
        reporting.report(s, ADMIN, now, kind="backlog", area="A", count=25, plan=plan)  # L2
        reporting.report(s, ADMIN, now, kind="backlog", area="B", count=3, plan=plan)  # L3
        reporting.report(s, ADMIN, now, kind="backlog", area="C", count=5, plan=plan)  # L3
        rows = [
            {
                "type": "scan",
                "event_id": f"e{i}",
                "ts": now.isoformat(),
                "parcel_id": f"p{i}",
                "status": "hub_arrived",
                "area": "A",
                "site": "S",
            }
            for i in range(4)
        ]
        ingest(s, ADMIN, now, enumerate([*rows, {"type": "scan"}, "garbage"], 1), source="test")
        for status in ("failed", "failed", "sent"):
            s.add(
                Notification(
                    created_at=now,
                    event="opened",
                    role="member",
                    language="en",
                    subject="x",
                    body="x",
                    status=status,
                )
            )
        printing.submit(s, ADMIN, now, document="waybill:1", title="w", data=b"%PDF-1.4 test")
    with db.transaction() as s:
        deadlines.tick(s, now + timedelta(minutes=31), plan)  # both L3 deadlines (30 min) pass
    got = samples(client.get("/metrics", headers=headers_for("admin")).text)
    assert got[("peakguard_incidents_active", (("level", "L2"),))] == 1
    assert got[("peakguard_incidents_active", (("level", "L3"),))] == 2
    assert got[("peakguard_incidents_active", (("level", "L1"),))] == 0
    assert got[("peakguard_deadlines_breached_total", (("level", "L3"),))] == 2
    assert got[("peakguard_deadlines_breached_total", (("level", "L2"),))] == 0
    assert got[("peakguard_events_ingested_total", ())] == 4
    assert got[("peakguard_events_dead_lettered_total", ())] == 2
    assert got[("peakguard_notifications_failed_total", ())] == 2
    assert got[("peakguard_notifications_pending", ())] >= 0
    assert got[("peakguard_print_queue_depth", ())] == 1
    assert got[("peakguard_database_up", ())] == 1


def test_each_background_round_is_timed_and_failures_counted(
    client: TestClient, db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, headers_for: Any
) -> None:
    metrics = client.app.state.metrics  # type: ignore[attr-defined]
    background.run_once(db, clock.now(), metrics.job_done)
    real = background.jobs()

    def broken(_db: Database, _now: object) -> None:
        raise RuntimeError("printer server on fire")

    monkeypatch.setattr(background, "jobs", lambda: [*real, ("broken", broken)])
    background.run_once(db, clock.now(), metrics.job_done)
    got = samples(client.get("/metrics", headers=headers_for("admin")).text)
    assert got[("peakguard_job_round_duration_seconds_count", (("job", "detection"),))] == 2
    assert got[("peakguard_job_round_duration_seconds_count", (("job", "deadlines"),))] == 2
    assert got[("peakguard_job_failures_total", (("job", "broken"),))] == 1
    assert got[("peakguard_job_failures_total", (("job", "detection"),))] == 0


def test_a_scrape_still_answers_when_the_database_is_down(clock: FrozenClock) -> None:
    down = Database(f"postgresql://postgres@127.0.0.1:{_closed_port()}/nothing")
    app = create_app(Settings(metrics_token=SCRAPE_TOKEN), db=down, clock=clock)
    with TestClient(app) as client:
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    down.dispose()
    got = samples(scraped.text)
    assert scraped.status_code == 200 and got[("peakguard_database_up", ())] == 0
    assert ("peakguard_incidents_active", (("level", "L1"),)) not in got
