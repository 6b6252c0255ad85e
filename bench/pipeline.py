"""Benchmark of the live event pipeline (issue 14, S3.3): how many events a second each way in
gets into the database, beside the database's own limit for the same rows, measured in the same
run; and how long an event takes to become an incident under a steady stream.

    ./dev bench pipeline                         # 50,000 parcels (about 200,000 events), 50 areas
    ./dev bench pipeline --parcels 200000        # about 750,000 events: the issue's size
    ./dev bench pipeline --parcels 20000         # a quick run
    ./dev bench pipeline --only sqlite           # or postgresql; NATS and HTTP need PostgreSQL
    ./dev bench pipeline --latency-only --rate 75000              # event to incident only
    ./dev bench pipeline --latency-only --rate 30000 --seconds 30 --kill-after 10   # a worker killed

Every path starts from an empty, migrated database and the same simulated day
(``peakguard sim``, written to an NDJSON file first, not timed), which ends at the moment the
bench starts (the consumers judge it by the wall clock):

- **file ingest** (``peakguard ingest``'s own function, SQLite and PostgreSQL): read, validate,
  store, dead-letter, 50,000 rows a transaction, in two processes on PostgreSQL (each its own
  parcels, as ``peakguard ingest`` does by default there);
- **HTTP**: ``POST /api/v1/events`` in batches of 1,000 to a real uvicorn server (two clients
  at once, PostgreSQL), each answer a 200 that accepted the whole batch; once with one uvicorn
  worker process and once with two (``uvicorn --workers 2``: one process's GIL runs one
  batch's Python at a time, the other client's batch waits for it);
- **NATS**: the file published to a JetStream stream of four partitions by parcel id (not
  timed), then ``peakguard monitor --bus --workers N`` from the first batch's commit to the
  last: a message per event in micro-batches of 1,000 (how it ran before packing), and
  ``peakguard publish``'s packed messages (500 events of one partition a message, NDJSON) in
  the default micro-batches, with 1 and 2 worker processes;
- **baseline**, per database, in a fresh database: the rows already decoded in memory, one
  ``COPY`` (PostgreSQL) or ``executemany`` (SQLite) into ``monitor_events`` and one
  ``INSERT .. ON CONFLICT DO UPDATE`` of the latest scan per parcel into ``parcel_state``: the
  same tables, indexes and rows with none of the pipeline's work (validation, idempotency,
  dead letters, orders, audit, detection), which is what the store itself can take.
- **event to incident**: as deployed, ``peakguard monitor --bus --workers N`` (processes of
  its own, ``--latency-workers``, over ``--latency-partitions`` partitions) under a steady
  stream (``--rate`` events/s for ``--seconds``) sent by another process, as the scanners'
  feed arrives from elsewhere (it once shared the consumer's process and interpreter, which
  held the consumer to about 30,000 events/s); ``--in-flight`` parcels (a million by default)
  are already in ``parcel_state``, so the checkpoints hold them and every count classifies
  them; every second a Level 1 exception scan at a new site is published, and its latency is
  the incident's ``opened_at`` minus the moment it was published, and the moment the incident
  could be read (committed: a watcher polls every 20 ms) minus the same. The incident's
  notices, page and client matching follow after its commit (``incidents.followups``).

The machine is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.clock import SystemClock
from peakguard.db import Database, normalise_url
from peakguard.incidents.models import Incident
from peakguard.monitor import bus, service
from peakguard.monitor.bulk import PAYLOAD_FIELDS
from peakguard.monitor.events import read_file
from peakguard.monitor.file_shares import default_shares
from peakguard.monitor.models import MonitorEvent
from peakguard.plan.service import load_plan
from peakguard.sim.generator import generate

PG_URL = os.environ.get("PEAKGUARD_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
NATS_URL = os.environ.get("PEAKGUARD_TEST_NATS_URL", "nats://127.0.0.1:4222")
ADMIN = Actor(name="bench:admin", role="admin")
console = Console(width=None if sys.stdout.isatty() else 140)
"""Piped (CI, a log), the table is not folded to 80 columns."""


def day_start() -> datetime:
    """The simulated day ends now (its start 24 h ago, on the hour): the consumers judge it by
    the wall clock, and a day pinned to 10-11 November would be weeks old, every parcel not yet
    delivered counted as lost and every area's counts changing with every batch."""
    return (datetime.now(UTC) - timedelta(hours=24)).replace(minute=0, second=0, microsecond=0)


def make_day(path: Path, parcels: int, areas: int) -> int:
    day = generate(load_plan(), parcels=parcels, areas=areas, seed=11, start=day_start())
    with path.open("w", encoding="utf-8") as fh:
        for event in day.events:
            fh.write(json.dumps(event, ensure_ascii=False) + "\n")
    return len(day.events)


class Databases:
    """Fresh, migrated databases for one run, dropped at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pg_made: list[str] = []

    def fresh(self, backend: str) -> str:
        if backend == "sqlite":
            url = f"sqlite:///{self.workdir / f'{uuid.uuid4().hex[:8]}.db'}"
        else:
            name = f"pipeline_bench_{uuid.uuid4().hex[:8]}"
            with self._admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.pg_made.append(name)
            url = make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
        db = Database(url)
        db.upgrade()
        db.dispose()
        return url

    def drop(self) -> None:
        with self._admin().connect() as conn:
            for name in self.pg_made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    @staticmethod
    def _admin():  # type: ignore[no-untyped-def]
        return create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")


def pg_answers() -> bool:
    try:
        with Databases._admin().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def file_ingest(url: str, path: Path) -> float:
    """As ``peakguard ingest`` runs it: on PostgreSQL two processes, each its own parcels."""
    db = Database(url)
    try:
        return timed(lambda: service.ingest_file(db, ADMIN, path, SystemClock(), shares=default_shares(db)))
    finally:
        db.dispose()


def baseline(url: str, path: Path) -> float:
    """The same rows (the columns and payload the pipeline stores), decoded before the clock
    starts, straight into the tables."""
    now = datetime.now(UTC)
    rows = []
    for _line, raw in read_file(path):
        e = json.loads(raw)
        ts = datetime.fromisoformat(e["ts"]).astimezone(UTC)
        subject = e.get("parcel_id") or e.get("order_id") or e["shop"]
        scope = e.get("area") or e["shop"]
        payload = {name: e[name] for name in PAYLOAD_FIELDS[e["type"]] if e.get(name) is not None}
        rows.append((e["event_id"], e["type"], ts, now, subject, scope, e.get("status"), json.dumps(payload)))
    latest = """INSERT INTO parcel_state (parcel_id, ts, status, area, site, exception)
        SELECT parcel_id, ts, status, area, site, exception FROM (
            SELECT subject AS parcel_id, ts, status, scope AS area, payload ->> 'site' AS site,
                   payload ->> 'exception' AS exception,
                   row_number() OVER (PARTITION BY subject ORDER BY ts DESC, id DESC) AS newest
            FROM monitor_events WHERE type = 'scan') latest WHERE newest = 1
        ON CONFLICT (parcel_id) DO UPDATE SET ts = excluded.ts, status = excluded.status,
            area = excluded.area, site = excluded.site, exception = excluded.exception
        WHERE excluded.ts >= parcel_state.ts"""
    columns = "event_id, type, ts, received_at, subject, scope, status, payload"
    db = Database(url)
    try:
        raw = db.engine.raw_connection()
        dbapi = raw.driver_connection
        assert dbapi is not None
        start = time.perf_counter()
        if db.dialect == "postgresql":
            with dbapi.cursor() as cur:
                with cur.copy(f"COPY monitor_events ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute(latest)
            dbapi.commit()
        else:
            cur = dbapi.cursor()
            cur.execute("BEGIN")
            stamp = "%Y-%m-%d %H:%M:%S.%f"
            cur.executemany(
                f"INSERT INTO monitor_events ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(r[0], r[1], r[2].strftime(stamp), r[3].strftime(stamp), *r[4:]) for r in rows],
            )
            cur.execute(
                latest.replace("payload ->> 'site'", "json_extract(payload, '$.site')").replace(
                    "payload ->> 'exception'", "json_extract(payload, '$.exception')"
                )
            )
            cur.execute("COMMIT")
        elapsed = time.perf_counter() - start
        raw.close()
        return elapsed
    finally:
        db.dispose()


def make_token(url: str) -> str:
    db = Database(url)
    try:
        with db.transaction() as s:
            now = SystemClock().now()
            auth.create_user(
                s, ADMIN, now, username="bench-feed", password="Peak-feeder-pass-2026", role="member"
            )
            return auth.create_token(s, ADMIN, now, username="bench-feed", name="bench")
    finally:
        db.dispose()


def http_ingest(url: str, path: Path, clients: int = 2, size: int = 1000, workers: int = 1) -> float:
    """Batches of ``size`` events from ``clients`` concurrent clients to a real server of
    ``workers`` uvicorn processes."""
    sys.path.insert(0, str(Path(__file__).parent))
    from warehouse import free_port, start_server  # the same real server the scan bench starts

    token = make_token(url)
    events = [json.loads(raw) for _line, raw in read_file(path)]
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    port = free_port()
    server = start_server(url, port, workers)

    async def feed() -> None:
        queue = list(reversed(batches))

        async def client() -> None:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=120
            ) as http:
                while queue:
                    batch = queue.pop()
                    answer = await http.post("/api/v1/events", json=batch)
                    if answer.status_code != 200 or answer.json()["accepted"] != len(batch):
                        raise RuntimeError(f"HTTP batch refused: {answer.status_code} {answer.text[:200]}")

        await asyncio.gather(*(client() for _ in range(clients)))

    try:
        return timed(lambda: asyncio.run(feed()))
    finally:
        server.terminate()
        server.wait()


def http_two_workers(url: str, path: Path) -> float:
    return http_ingest(url, path, workers=2)


BUS_PARTITIONS = 4


def nats_ingest(
    url: str, path: Path, workers: int = 1, pack: int = bus.PACK, batch: int = bus.BATCH
) -> float:
    """``peakguard publish --pack`` into a stream of :data:`BUS_PARTITIONS` partitions (not
    timed), then ``peakguard monitor --bus --workers N --batch B --until-idle``, timed from the
    moment every partition has its worker (the workers say so; their start-up, a process each,
    imports and the checkpoint, is not counted) to the last batch's commit, over the events of
    the batches begun since (``received_at``): the rate with all N at work, returned as the
    seconds the whole file takes at it. (Timed from the first commit instead, the worker that
    came up first had stored part of the file alone before the other began.)"""
    tag = uuid.uuid4().hex[:8]
    target = bus.Bus(NATS_URL, f"bench.{tag}", f"BENCH_{tag}", f"bench-{tag}", partitions=BUS_PARTITIONS)
    total = asyncio.run(bus.publish(target, read_file(path), pack))
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": url}
    common = ["--bus", NATS_URL, "--subject", target.subject, "--stream", target.stream]
    try:
        consumer = subprocess.Popen(
            [sys.executable, "-m", "peakguard.cli", "monitor", *common, "--partitions", str(BUS_PARTITIONS),
             "--durable", target.durable, "--workers", str(workers), "--batch", str(batch), "--until-idle"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_for_takeovers(consumer, BUS_PARTITIONS)
        ready = datetime.now(UTC)
        if consumer.wait() != 0:
            raise RuntimeError(f"the workers ended with {consumer.returncode}")
        db = Database(url)
        try:
            with db.transaction() as s:
                stored = s.scalar(select(func.count()).select_from(MonitorEvent))
                counted, last = s.execute(
                    select(func.count(), func.max(MonitorEvent.received_at)).where(
                        MonitorEvent.received_at >= ready
                    )
                ).one()
                batch_seconds = _one_batch_seconds(s)
        finally:
            db.dispose()
        if stored != total:
            raise RuntimeError(f"the workers stored {stored} of {total}")
        if not counted:
            raise RuntimeError("every batch began before the last partition had its worker")
        return total * ((last - ready).total_seconds() + batch_seconds) / counted
    finally:
        asyncio.run(_drop_stream(target.stream))


def _one_batch_seconds(session: Any) -> float:
    """The mean gap between batches: the last batch's own time, which ``received_at`` (taken
    when a batch starts) leaves out."""
    stamps = sorted({t for (t,) in session.execute(select(MonitorEvent.received_at).distinct())})
    if len(stamps) < 2:
        return 0.0
    return (stamps[-1] - stamps[0]).total_seconds() / (len(stamps) - 1)


def nats_single_messages(url: str, path: Path) -> float:
    """As before packing: a message per event, micro-batches of 1,000."""
    return nats_ingest(url, path, pack=1, batch=1000)


def nats_two_workers(url: str, path: Path) -> float:
    return nats_ingest(url, path, workers=2)


async def _drop_stream(stream: str) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


def preload(url: str, parcels: int) -> None:
    """``parcels`` in flight before the stream starts (``parcel_state`` rows, one ``COPY``): the
    consumer's checkpoint holds them all and every detection round classifies them. Each was
    last scanned at a hub in the last ten minutes, so none is late and none raises a signal."""
    if parcels <= 0:
        return
    now = datetime.now(UTC)
    db = Database(url)
    try:
        raw = db.engine.raw_connection()
        dbapi = raw.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cur:
            columns = "parcel_id, ts, status, area, site, exception"
            with cur.copy(f"COPY parcel_state ({columns}) FROM STDIN") as copy:
                for i in range(parcels):
                    area = f"LA-{i % 50}"
                    copy.write_row((f"F{i:08d}", now - timedelta(seconds=i % 600), "hub_arrived", area,
                                    f"{area}-HUB", None))  # fmt: skip
        dbapi.commit()
        raw.close()
    finally:
        db.dispose()


class Watcher(threading.Thread):
    """When each marker's incident became readable (committed), polled every 20 ms on a
    connection of its own: ``opened_at`` is the report's clock at its start, this is when a
    person could see it."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__(daemon=True)
        self.url, self.prefix = url, prefix
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        engine = create_engine(normalise_url(self.url))
        query = text("SELECT area FROM incidents WHERE area LIKE :prefix")
        try:
            with engine.connect() as conn:
                while not self.stop.is_set():
                    for (area,) in conn.execute(query, {"prefix": f"{self.prefix}%"}):
                        self.seen.setdefault(area, time.time())
                    conn.commit()  # the next look sees what committed since
                    self.stop.wait(0.02)
        finally:
            engine.dispose()


def latency(
    url: str,
    rate: int,
    seconds: float,
    in_flight: int = 0,
    pack: int = bus.PACK,
    workers: int = 1,
    partitions: int = 1,
    kill_after: float | None = None,
) -> dict[str, list[float]]:
    """Seconds from publishing a Level 1 scan (one a second) to the start of the batch that
    stored it, to its incident's ``opened_at`` and to the moment the incident could be read,
    under ``rate`` events/s with ``in_flight`` parcels already in the checkpoints.

    As deployed: ``peakguard monitor --bus --workers N`` in processes of its own, over a stream
    of ``partitions`` partitions, and the scanners' events arriving from another process
    (:func:`_publish_steadily`), each 50 ms tick's events ``pack`` to a message. The stream
    starts once every partition's checkpoint is loaded (the workers say so).

    ``kill_after``: one worker process is killed (SIGKILL) that many seconds into the stream;
    when the others take its partitions over, and each marker's wait since, are printed."""
    tag = uuid.uuid4().hex[:8]
    target = bus.Bus(NATS_URL, f"lat.{tag}", f"LAT_{tag}", f"lat-{tag}", partitions=partitions)
    preload(url, in_flight)
    asyncio.run(_make_stream(target))
    watcher = Watcher(url, f"MARK-{tag}-")
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": url}
    began = time.perf_counter()
    consumer = subprocess.Popen(
        [sys.executable, "-m", "peakguard.cli", "monitor", "--bus", NATS_URL, "--subject", target.subject,
         "--stream", target.stream, "--durable", target.durable, "--partitions", str(partitions),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    published: dict[str, float] = {}
    takeovers: list[tuple[float, str]] = []
    killed: tuple[float, int] | None = None
    try:
        _wait_for_takeovers(consumer, partitions, takeovers)
        console.print(
            f"{workers} worker(s) ready (checkpoints of {in_flight:,} parcels) in "
            f"{time.perf_counter() - began:.1f} s"
        )
        watcher.start()
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            sending = pool.apply_async(_publish_steadily, (target, tag, rate, seconds, pack))
            if kill_after is not None:
                time.sleep(kill_after)
                killed = (time.time(), _kill_a_worker(consumer.pid))
            published = sending.get()
        deadline = time.monotonic() + 120
        while set(published) - set(watcher.seen) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(consumer.pid, signal.SIGINT)
        consumer.wait(timeout=60)
        watcher.stop.set()
        if watcher.is_alive():
            watcher.join()
        asyncio.run(_drop_stream(target.stream))
    db = Database(url)
    try:
        with db.transaction() as s:
            opened = dict(
                s.execute(
                    select(Incident.area, Incident.opened_at).where(Incident.area.in_(list(published)))
                ).all()
            )
            stored = {
                f"MARK-{tag}-{event_id.rsplit('-m', 1)[1]}": at
                for event_id, at in s.execute(
                    select(MonitorEvent.event_id, MonitorEvent.received_at).where(
                        MonitorEvent.event_id.in_([f"{tag}-m{n}" for n in range(1, len(published) + 1)])
                    )
                )
            }
    finally:
        db.dispose()
    missing = set(published) - set(opened) | set(published) - set(watcher.seen)
    if missing:
        raise RuntimeError(f"{len(missing)} marker scans never became incidents")
    if killed is not None:
        _print_recovery(killed, takeovers, published, watcher.seen)
    return {
        "taken by the consumer (received_at)": sorted(
            stored[site].timestamp() - at for site, at in published.items()
        ),
        "incident opened_at": sorted(opened[site].timestamp() - at for site, at in published.items()),
        "incident readable": sorted(watcher.seen[site] - at for site, at in published.items()),
    }


async def _make_stream(target: bus.Bus) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        await bus.ensure_stream(nc.jetstream(), target)
    finally:
        await nc.close()


def _wait_for_takeovers(
    consumer: subprocess.Popen[str], partitions: int, later: list[tuple[float, str]] | None = None
) -> None:
    """Until the workers have said ``partition N`` for every partition (each line comes once the
    partition's checkpoint is loaded); their later lines are read on so the pipe never fills,
    and the later takeovers kept in ``later`` with the time each was read."""
    assert consumer.stderr is not None
    stream = consumer.stderr
    taken: set[str] = set()
    for line in stream:
        if ": partition " in line:
            taken.add(line.split(": partition ", 1)[1].split()[0])
            if len(taken) == partitions:
                break
    else:
        raise RuntimeError(f"the workers ended before taking every partition (exit {consumer.wait()})")

    def read_on() -> None:
        for line in stream:
            if later is not None and ": partition " in line:
                later.append((time.time(), line.strip()))

    threading.Thread(target=read_on, daemon=True).start()


def _kill_a_worker(parent: int) -> int:
    """SIGKILL to one of ``peakguard monitor --workers N``'s worker processes; its pid."""
    children = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
    workers = [
        int(c) for c in children if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")
    ]
    if not workers:
        raise RuntimeError("no worker process to kill (--latency-workers must be 2 or more)")
    os.kill(workers[0], signal.SIGKILL)
    return workers[0]


def _print_recovery(
    killed: tuple[float, int], takeovers: list[tuple[float, str]], published: dict[str, float],
    seen: dict[str, float],
) -> None:  # fmt: skip
    at, pid = killed
    console.print(f"worker {pid} killed (SIGKILL) {at - min(published.values()):.1f} s into the stream")
    for when, line in takeovers:
        console.print(f"  {when - at:+.1f} s: {line}")
    console.print("  markers from 2 s before the kill (sent, relative to the kill: readable after)")
    for site, sent in sorted(published.items(), key=lambda item: item[1]):
        if sent >= at - 2:
            console.print(f"    {sent - at:+5.1f} s: {seen[site] - sent:5.2f} s")


def _publish_steadily(target: bus.Bus, tag: str, rate: int, seconds: float, pack: int) -> dict[str, float]:
    """The scanners, in a process of their own: ``rate`` scans a second for ``seconds``, sent
    each 50 ms tick to their partitions ``pack`` to a message, and after each second's scans a
    Level 1 exception scan at a new site (the marker). Returns when each marker was sent."""
    from peakguard.monitor.partitions import partition_of

    async def run() -> dict[str, float]:
        import nats

        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        published: dict[str, float] = {}
        tick, sent, marker = 0.05, 0, 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            ts = datetime.now(UTC).isoformat()
            due = int((time.perf_counter() - start) * rate) - sent
            by_subject: dict[str, list[bytes]] = {}
            for _ in range(max(due, 0)):
                sent += 1
                parcel, area = f"L{sent % 200_000}", f"LA-{sent % 50}"
                line = (f'{{"event_id":"{tag}-{sent}","type":"scan","parcel_id":"{parcel}","ts":"{ts}",'
                        f'"status":"hub_arrived","area":"{area}","site":"{area}-HUB"}}')  # fmt: skip
                subject = target.subject_of(partition_of(parcel, target.partitions))
                by_subject.setdefault(subject, []).append(line.encode())
            if sent // max(rate, 1) > marker:  # a marker every second, after the tick's scans
                marker += 1
                site, parcel = f"MARK-{tag}-{marker}", f"M{tag}{marker}"
                line = (f'{{"event_id":"{tag}-m{marker}","type":"scan","parcel_id":"{parcel}","ts":"{ts}",'
                        f'"status":"exception","exception":"robbed","area":"LA-0","site":"{site}"}}')  # fmt: skip
                subject = target.subject_of(partition_of(parcel, target.partitions))
                published[site] = time.time()
                by_subject.setdefault(subject, []).append(line.encode())
            await asyncio.gather(
                *(
                    js.publish(subject, b"\n".join(lines[i : i + pack]), stream=target.stream, timeout=30)
                    for subject, lines in by_subject.items()
                    for i in range(0, len(lines), pack)
                )
            )
            await asyncio.sleep(tick)
        await nc.close()
        return published

    return asyncio.run(run())


def detection_rounds(url: str) -> dict[str, float]:
    """Seconds per detection round in ``serve`` on a database the file ingest filled: the full
    re-read of undelivered parcels each round (what the job did before) against the live
    detector's start and its rounds after 0, 1,000 and 50,000 new scans (a second of the
    target's 50,000 events/s)."""
    from peakguard.monitor.live import LiveDetector

    db = Database(url)
    plan = load_plan()
    now = SystemClock().now()
    try:
        with db.transaction() as s:  # the kernels compile (or load from cache) once, untimed
            service.load_checkpoint(s).signals(now, plan)
        with db.transaction() as s:
            start = time.perf_counter()
            service.load_checkpoint(s, delivered=False).signals(now, plan)
            full = time.perf_counter() - start
        detector = LiveDetector()
        first = timed(lambda: detector.round(db, now, plan))
        idle = timed(lambda: detector.round(db, now, plan))
        rounds = {"full re-read": full, "live start": first, "live, nothing new": idle}
        for size in (1000, 50_000):
            new = [(i, {"event_id": f"round-{size}-{i}", "type": "scan", "parcel_id": f"R{i}", "ts": now.isoformat(),
                        "status": "hub_arrived", "area": "A-01", "site": "A-01-HUB"}) for i in range(size)]  # fmt: skip
            with db.transaction() as s:
                service.ingest(s, ADMIN, now, new, "bench")
            rounds[f"live, {size:,} new"] = timed(lambda: detector.round(db, now, plan))
        return rounds
    finally:
        db.dispose()


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parcels", type=int, default=50_000)
    parser.add_argument("--areas", type=int, default=50)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--rate", type=int, default=50_000, help="events/s for the latency run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--latency-only", action="store_true", help="only the event-to-incident run")
    parser.add_argument(
        "--latency-pack", type=int, default=bus.PACK, help="events a message in the latency run (1: one each)"
    )
    parser.add_argument("--latency-workers", type=int, default=2, help="worker processes in the latency run")
    parser.add_argument(
        "--latency-partitions", type=int, default=BUS_PARTITIONS, help="partitions in the latency run"
    )
    parser.add_argument(
        "--kill-after", type=float, help="kill one worker (SIGKILL) this many seconds into the latency run"
    )
    parser.add_argument(
        "--in-flight", type=int, default=1_000_000, help="parcels in the checkpoint before the latency run"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pipeline-bench-") as tmp:
        workdir = Path(tmp)
        path = workdir / "day.ndjson"
        n = 0 if args.latency_only else make_day(path, args.parcels, args.areas)
        console.print(f"{n:,} events ({args.parcels:,} parcels, {args.areas} areas); load {os.getloadavg()}")
        dbs = Databases(workdir)
        backends = [b for b in ("sqlite", "postgresql") if args.only in (None, b)]
        if "postgresql" in backends and not pg_answers():
            console.print(f"[yellow]PostgreSQL does not answer at {PG_URL}: skipped[/yellow]")
            backends.remove("postgresql")
        table = Table("path", "database", "seconds", "events/s", "baseline events/s", "ratio")
        try:
            for backend in [] if args.latency_only else backends:
                base = baseline(dbs.fresh(backend), path)
                runs = [("file ingest", file_ingest)]
                if backend == "postgresql":
                    runs += [
                        ("HTTP, batches of 1,000, 2 clients", http_ingest),
                        ("HTTP, batches of 1,000, 2 clients, 2 uvicorn workers", http_two_workers),
                        (
                            f"NATS, a message per event, 1 worker, batches of 1,000 ({BUS_PARTITIONS} "
                            "partitions)",
                            nats_single_messages,
                        ),
                        (
                            f"NATS, {bus.PACK} events a message, 1 worker, batches of {bus.BATCH:,} "
                            f"({BUS_PARTITIONS} partitions)",
                            nats_ingest,
                        ),
                        (
                            f"NATS, {bus.PACK} events a message, 2 workers, batches of {bus.BATCH:,} "
                            f"({BUS_PARTITIONS} partitions)",
                            nats_two_workers,
                        ),
                    ]
                table.add_row(
                    "plain COPY/executemany + upsert (baseline)",
                    backend,
                    f"{base:.2f}",
                    f"{n / base:,.0f}",
                    "",
                    "",
                )
                for label, run in runs:
                    url = dbs.fresh(backend)
                    seconds = run(url, path)
                    table.add_row(label, backend, f"{seconds:.2f}", f"{n / seconds:,.0f}", f"{n / base:,.0f}",
                                  f"{base / seconds:.0%}")  # fmt: skip
                    console.print(
                        f"{label} on {backend}: {n / seconds:,.0f} events/s; load {os.getloadavg()}"
                    )
                    if run is file_ingest:
                        rounds = detection_rounds(url)
                        console.print(
                            f"detection round in serve on {backend}: "
                            + ", ".join(f"{k} {v * 1000:,.0f} ms" for k, v in rounds.items())
                        )
            if not args.latency_only:
                console.print(table)
            if "postgresql" in backends:
                stages = latency(
                    dbs.fresh("postgresql"),
                    args.rate,
                    args.seconds,
                    args.in_flight,
                    args.latency_pack,
                    args.latency_workers,
                    args.latency_partitions,
                    args.kill_after,
                )
                console.print(
                    f"event to incident over the bus at {args.rate:,} events/s for {args.seconds:.0f} s, "
                    f"up to {args.latency_pack} events a message, {args.latency_workers} worker(s), "
                    f"{args.latency_partitions} partition(s), "
                    f"{args.in_flight:,} parcels in flight ({len(stages['incident readable'])} markers; "
                    f"load {os.getloadavg()})"
                )
                for label, waits in stages.items():
                    console.print(
                        f"  to {label}: p50 {percentile(waits, 50) * 1000:.0f} ms, "
                        f"p99 {percentile(waits, 99) * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms"
                    )
            console.print(f"load average at the end {os.getloadavg()}")
        finally:
            if "postgresql" in backends:
                dbs.drop()


if __name__ == "__main__":
    main()
