"""Events over a real NATS JetStream server (issue 3, S3.3): published, consumed in batches,
stored once, bad messages dead-lettered with the reason, incidents opened by the detector, and a
redelivered batch changing nothing. Skipped when no NATS server answers on 127.0.0.1:4222
(`.ci/run` starts the machine's one)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from peakguard.incidents.models import Incident, TimelineEntry
from peakguard.monitor import bus
from peakguard.monitor.models import DeadLetter, MonitorEvent
from peakguard.monitor.service import ingest
from tests.factories import ADMIN, count

NATS_URL = os.environ.get("PEAKGUARD_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _nats_answers() -> bool:
    host, port = NATS_URL.removeprefix("nats://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _nats_answers(), reason=f"no NATS server answers at {NATS_URL}")


@pytest.fixture
def target():
    """A stream and subject of this test's own, removed afterwards."""
    tag = uuid.uuid4().hex[:10]
    target = bus.Bus(NATS_URL, f"test.{tag}.events", f"TEST_{tag}", f"test-{tag}")
    yield target
    drop_stream(target.stream)


def drop_stream(stream: str) -> None:
    """Remove a test's own stream from the machine's NATS server (the bus tests share it)."""

    async def drop() -> None:
        import nats

        nc = await nats.connect(NATS_URL)
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()

    asyncio.run(drop())


def refuse_poison(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the store fail for any batch holding the event ``poison`` (a row the database
    cannot take, whatever the cause), as the consumer meets it: by ``service.ingest``."""
    from peakguard.monitor import service

    real_ingest = service.ingest

    def ingest(session, actor, now, rows, source, **options):  # type: ignore[no-untyped-def]
        rows = list(rows)
        if any(isinstance(r, bytes) and b'"poison"' in r for _, r in rows):
            raise RuntimeError("the database refused this row")
        return real_ingest(session, actor, now, rows, source, **options)

    monkeypatch.setattr(bus.service, "ingest", ingest)


def backlog_scans(clock, n: int) -> list[dict]:
    old = clock.now() - timedelta(hours=13)
    return [
        {
            "event_id": f"bus-{i}",
            "type": "scan",
            "parcel_id": f"P{i}",
            "ts": old.isoformat(),
            "status": "hub_arrived",
            "area": "FZ-09",
            "site": "FZ-09-HUB",
            "exception": None,
        }
        for i in range(n)
    ]


def consume_until_idle(db, clock, target) -> bus.ConsumeStats:
    return asyncio.run(bus.consume(db, clock, target, batch=7, stop=lambda s: s.idle_polls > 0))


def test_events_from_the_bus_open_incidents_and_bad_ones_are_dead_lettered(db, clock, target):
    rows = [(i, e) for i, e in enumerate(backlog_scans(clock, 20), 1)]
    rows.append((21, {"event_id": "bad-1", "type": "scan", "parcel_id": "X", "ts": "yesterday"}))
    asyncio.run(bus.publish(target, rows, pack=1))

    async def raw() -> None:
        import nats

        nc = await nats.connect(NATS_URL)
        try:
            await nc.jetstream().publish(target.subject, b"{not json", stream=target.stream)
        finally:
            await nc.close()

    asyncio.run(raw())
    stats = consume_until_idle(db, clock, target)
    assert (stats.messages, stats.accepted, stats.dead_lettered) == (22, 20, 2)
    assert stats.batches == 4  # micro-batches of 7
    with db.transaction() as s:
        incident = s.scalars(
            select(Incident).where(Incident.kind == "backlog", Incident.area == "FZ-09")
        ).one()
        assert (incident.count, incident.level) == (20, "L2")
        reasons = sorted(d.reason for d in s.scalars(select(DeadLetter)))
    assert reasons[0].startswith("bad JSON") and "ts" in reasons[1]
    again = consume_until_idle(db, clock, target)  # everything was acknowledged: nothing comes back
    assert again.messages == 0


def test_a_batch_stored_but_not_acknowledged_is_redelivered_and_changes_nothing(db, clock, target):
    """The consumer died after its commit and before its acks: the durable consumer hands the
    same messages out again and idempotency by event_id absorbs them."""
    events = backlog_scans(clock, 5)
    asyncio.run(bus.publish(target, list(enumerate(events, 1)), pack=1))
    with db.transaction() as s:  # what the dead consumer had committed
        ingest(s, ADMIN, clock.now(), list(enumerate(events, 1)), source="nats:before-the-crash")
    stats = consume_until_idle(db, clock, target)
    assert (stats.messages, stats.accepted, stats.duplicates) == (5, 0, 5)
    assert count(db, MonitorEvent, MonitorEvent.event_id.like("bus-%")) == 5


class Crash(Exception):
    """The consumer dies after its commit, before its acks."""


def test_a_consumer_that_died_before_its_acks_gets_the_batch_again_and_nothing_changes(db, clock, target):
    """S3.3 restart safety on the real server: the first consumer commits a batch (events, a dead
    letter, the backlog incident) and dies before acking; once the ack wait runs out the server
    hands the same messages to the next consumer, which stores nothing new: no event, no second
    dead letter, no incident update."""
    target = replace(target, ack_wait=1.0)
    rows = [*enumerate(backlog_scans(clock, 20), 1), (21, {"event_id": "bad-2", "type": "scan"})]
    asyncio.run(bus.publish(target, rows, pack=1))

    def crash(messages) -> None:
        raise Crash

    with pytest.raises(Crash):
        asyncio.run(bus.consume(db, clock, target, batch=50, stop=lambda s: False, before_ack=crash))

    def state():
        with db.transaction() as s:
            incident = s.scalars(
                select(Incident).where(Incident.kind == "backlog", Incident.area == "FZ-09")
            ).one()
            snapshot = (incident.count, incident.level, incident.id)
        entries = count(db, TimelineEntry, TimelineEntry.incident_id == snapshot[2])
        return (*snapshot, entries, count(db, MonitorEvent), count(db, DeadLetter))

    before = state()
    assert before[:2] == (20, "L2") and before[4:] == (20, 1)
    # waits for the server to redeliver (ack wait 1 s), giving up after ten empty fetches
    again = asyncio.run(
        bus.consume(db, clock, target, batch=50, stop=lambda s: s.messages >= 21 or s.idle_polls > 10)
    )
    assert (again.messages, again.accepted, again.duplicates, again.dead_lettered) == (21, 0, 21, 0)
    assert again.incidents_touched == 0
    assert state() == before


def test_publish_reports_each_acknowledged_window(clock, target):
    """What ``peakguard publish``'s progress bar advances by: every event once, after the stream
    acknowledged the window holding it (a message of several events counts them all)."""
    rows = list(enumerate(backlog_scans(clock, 1200), 1))
    one_each: list[int] = []
    asyncio.run(bus.publish(target, rows, pack=1, on_sent=one_each.append))
    assert one_each == [bus.PUBLISH_WINDOW, bus.PUBLISH_WINDOW, 1200 - 2 * bus.PUBLISH_WINDOW]
    packed: list[int] = []
    asyncio.run(bus.publish(target, rows[:700], pack=500, on_sent=packed.append))
    assert packed == [700]


def test_publish_and_monitor_from_the_cli(db_url, clock, target, tmp_path):
    events = tmp_path / "events.ndjson"
    events.write_text("\n".join(json.dumps(e) for e in backlog_scans(clock, 3)) + "\nnot json\n")
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"}
    common = ["--bus", target.url, "--subject", target.subject, "--stream", target.stream]

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "peakguard.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        shown.append(done.stderr)
        return done.stdout

    shown: list[str] = []
    assert "published 4 events" in cli("publish", str(events), *common)
    assert "publish" in shown[-1] and "4/4" in shown[-1]  # the progress bar, on stderr
    out = cli("monitor", *common, "--durable", target.durable, "--until-idle")
    assert "accepted 3" in out and "dead-lettered 1" in out
