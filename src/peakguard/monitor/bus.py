"""Events from a NATS JetStream subject: the deployment for a parcel network whose scanners
already publish to a bus (the embedded default reads files and the HTTP API instead).

A durable pull consumer takes micro-batches; each batch goes through the same ``ingest`` as a
file (idempotent by ``event_id``, a bad message dead-lettered with its stream sequence and the
reason) in one transaction, detection runs when due (once a ``detect_every`` while batches keep
coming, and whenever the consumer has caught up), and only then are the messages acknowledged. A
consumer that dies between commit and ack gets the batch again, and idempotency absorbs it: at
least once on the bus, exactly once in the database. (A redelivered bad message whose dead
letter is already stored, same stream sequence and text, is not dead-lettered twice.)

Detection runs on an in-memory :class:`~peakguard.monitor.parcels.ParcelCheckpoint`, read once
from ``parcel_state`` when the consumer starts and then folded forward with each batch's new
scans, so a batch costs its own size, not a re-read of every parcel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError
from starlette.concurrency import run_in_threadpool

from peakguard.audit.service import Actor
from peakguard.clock import Clock
from peakguard.db import Database
from peakguard.monitor import service
from peakguard.monitor.bulk import scan_row
from peakguard.monitor.events import Rejected
from peakguard.monitor.parcels import ParcelCheckpoint
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan

DEFAULT_SUBJECT = "peakguard.events"
DEFAULT_STREAM = "PEAKGUARD_EVENTS"
DEFAULT_DURABLE = "peakguard-monitor"
PUBLISH_WINDOW = 500
"""Publishes awaiting the stream's ack at once: hides the round trip, bounds memory."""


@dataclass
class ConsumeStats:
    batches: int = 0
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    incidents_touched: int = 0
    idle_polls: int = 0
    """Fetches in a row that found nothing (reset by any message)."""
    pending: int = 0
    """Messages still waiting in the stream for this consumer after the last batch."""
    started: float = field(default_factory=time.perf_counter)

    @property
    def rate(self) -> float:
        """Messages per second since the consumer started."""
        return self.messages / max(time.perf_counter() - self.started, 1e-9)


@dataclass(frozen=True)
class Bus:
    url: str
    subject: str = DEFAULT_SUBJECT
    stream: str = DEFAULT_STREAM
    durable: str = DEFAULT_DURABLE
    ack_wait: float = 30.0
    """Seconds the server waits for an ack before handing a message out again (applies when
    the durable consumer is created)."""
    fetch_timeout: float = 1.0
    """Seconds one fetch waits for messages before it counts as an idle poll."""
    max_deliveries: int = 5
    """Deliveries of a message that cannot be stored even alone before it is dead-lettered."""
    detect_every: float = 1.0
    """Seconds between detection rounds while batches keep coming (a round also runs whenever
    the consumer has caught up, so an event reaches its incident within about this long)."""
    reconnect_attempts: int = 20
    """The client's own reconnects (every half second) before the consumer starts over."""
    """Deliveries of a message that cannot be stored even alone before it is dead-lettered."""


async def ensure_stream(js: Any, bus: Bus) -> None:
    """Create the stream for the subject if the server does not have it yet."""
    try:
        await js.stream_info(bus.stream)
    except NotFoundError:
        await js.add_stream(name=bus.stream, subjects=[bus.subject])


async def publish(bus: Bus, rows: Iterable[tuple[int, Any]]) -> int:
    """Send rows (as read from an event file) to the subject, each one stored by the stream
    (acknowledged) before this returns, up to :data:`PUBLISH_WINDOW` in flight at once; a row
    the file reader already refused is sent as its raw text, so the consumer dead-letters it
    rather than it vanishing here."""
    nc = await nats.connect(bus.url, connect_timeout=3, error_cb=_quiet, allow_reconnect=False)
    try:
        js = nc.jetstream()
        await ensure_stream(js, bus)
        sent = 0
        window: list[bytes] = []
        for _line, row in rows:
            window.append(_message(row))
            if len(window) >= PUBLISH_WINDOW:
                sent += await _send(js, bus, window)
                window = []
        return sent + await _send(js, bus, window)
    finally:
        await nc.close()


def _message(row: Any) -> bytes:
    """An NDJSON line goes out as it is; a refused row as its raw text; a value as JSON."""
    if isinstance(row, bytes):
        return row
    text = row.raw if isinstance(row, Rejected) else json.dumps(row, ensure_ascii=False, default=str)
    return text.encode("utf-8")


async def _send(js: Any, bus: Bus, window: list[bytes]) -> int:
    await asyncio.gather(*(js.publish(bus.subject, data, stream=bus.stream) for data in window))
    return len(window)


async def consume(
    db: Database,
    clock: Clock,
    bus: Bus,
    *,
    batch: int = 1000,
    stop: Callable[[ConsumeStats], bool],
    on_batch: Callable[[ConsumeStats], None] | None = None,
    plan: Plan | None = None,
    before_ack: Callable[[list[Msg]], None] | None = None,
    on_reconnect: Callable[[Exception, float], None] | None = None,
) -> ConsumeStats:
    """Consume until ``stop(stats)`` says so (checked after every fetch). ``before_ack`` runs
    after a batch's commit and before its acks: the window a crash would hit.

    The first connection must succeed (a wrong URL is an error at once). After that a lost
    connection is waited out: the client reconnects by itself, and if it gives up the consumer
    connects again after a growing pause (``on_reconnect`` hears of each), keeping its
    checkpoint, which only ever holds committed batches (issue 13 item 3)."""
    actor = Actor.system(f"bus:{bus.subject}")
    stats = ConsumeStats()
    plan = plan or current_plan()
    checkpoint = await run_in_threadpool(_load_checkpoint, db)
    pause = RECONNECT_FIRST_PAUSE
    connected = False
    undetected, detected_at = False, time.monotonic()
    while True:
        try:
            nc = await nats.connect(
                bus.url,
                connect_timeout=3,
                error_cb=_quiet,
                reconnect_time_wait=RECONNECT_FIRST_PAUSE,
                max_reconnect_attempts=bus.reconnect_attempts,
            )
        except (nats.errors.Error, OSError) as exc:
            if not connected:
                raise
            await _pause(exc, pause, on_reconnect)
            pause = min(pause * 2, RECONNECT_MAX_PAUSE)
            continue
        connected = True
        try:
            js = nc.jetstream()
            await ensure_stream(js, bus)
            subscription = await js.pull_subscribe(
                bus.subject,
                durable=bus.durable,
                stream=bus.stream,
                config=ConsumerConfig(ack_wait=bus.ack_wait),
            )
            pause = RECONNECT_FIRST_PAUSE
            while not stop(stats):
                try:
                    messages = await subscription.fetch(batch, timeout=bus.fetch_timeout)
                except TimeoutError:  # nats-py raises its own subclass or asyncio's (this one since 3.11)
                    messages = []
                if not messages:
                    stats.idle_polls += 1
                    if undetected:
                        stats.incidents_touched += await run_in_threadpool(
                            _detect, db, clock, plan, checkpoint
                        )
                        undetected, detected_at = False, time.monotonic()
                    continue
                stats.idle_polls = 0
                again = await run_in_threadpool(_store, db, clock, actor, checkpoint, messages, bus, stats)
                undetected = True
                if len(messages) < batch or time.monotonic() - detected_at >= bus.detect_every:
                    stats.incidents_touched += await run_in_threadpool(_detect, db, clock, plan, checkpoint)
                    undetected, detected_at = False, time.monotonic()
                if before_ack is not None:
                    before_ack(messages)
                # only after the commit: a crash before this re-delivers
                later = {id(m) for m in again}
                for m in messages:  # each only queues a few bytes: no task per message
                    await (m.nak(delay=REDELIVERY_DELAY) if id(m) in later else m.ack())
                stats.batches += 1
                stats.messages += len(messages) - len(again)
                stats.pending = messages[-1].metadata.num_pending or 0
                if on_batch is not None:
                    on_batch(stats)
            if undetected:
                stats.incidents_touched += await run_in_threadpool(_detect, db, clock, plan, checkpoint)
            await nc.flush()
            return stats
        except (nats.errors.Error, OSError) as exc:
            await _pause(exc, pause, on_reconnect)
            pause = min(pause * 2, RECONNECT_MAX_PAUSE)
        finally:
            await _close(nc)


RECONNECT_FIRST_PAUSE = 0.5
RECONNECT_MAX_PAUSE = 10.0
REDELIVERY_DELAY = 1.0
"""Seconds before a message that could not be stored alone is handed out again."""


async def _pause(
    exc: Exception, seconds: float, on_reconnect: Callable[[Exception, float], None] | None
) -> None:
    if on_reconnect is not None:
        on_reconnect(exc, seconds)
    await asyncio.sleep(seconds)


async def _quiet(exc: Exception) -> None:
    """The client's own error report (a traceback per failed reconnect, by default): the
    consumer reports lost connections itself through ``on_reconnect``."""


async def _close(nc: Any) -> None:
    with contextlib.suppress(nats.errors.Error, OSError):  # already gone: nothing to release
        await nc.close()


def _load_checkpoint(db: Database) -> ParcelCheckpoint:
    with db.transaction() as session:
        return service.load_checkpoint(session)


def _store(
    db: Database,
    clock: Clock,
    actor: Actor,
    checkpoint: ParcelCheckpoint,
    messages: list[Msg],
    bus: Bus,
    stats: ConsumeStats,
) -> list[Msg]:
    """One micro-batch: ingest and commit, fold the new scans in. Returns the messages to hand
    out again later.

    A batch the database refuses as a whole is stored message by message instead, so one poison
    message cannot hold back the good ones behind it (issue 13 item 4); the one that fails alone
    is retried later and, at its ``max_deliveries``-th delivery, dead-lettered with the error."""
    now = clock.now()
    source = f"nats:{bus.subject}"
    again: list[Msg] = []
    try:
        results = [_ingest(db, actor, now, messages, source)]
    except Exception:
        if not _database_answers(db):
            raise
        results = []
        for message in messages:
            try:
                results.append(_ingest(db, actor, now, [message], source))
            except Exception as alone:
                if (message.metadata.num_delivered or 1) < bus.max_deliveries:
                    again.append(message)
                    continue
                results.append(_dead_letter(db, actor, now, message, source, alone, bus.max_deliveries))
    for result in results:
        stats.accepted += result.accepted
        stats.duplicates += result.duplicates + result.dead_letters_known
        stats.dead_lettered += len(result.rejected) - result.dead_letters_known
        checkpoint.add(scan_row(r) for r in result.scans)
    return again


def _detect(db: Database, clock: Clock, plan: Plan, checkpoint: ParcelCheckpoint) -> int:
    """Detect on the checkpoint and report what changed; the incidents touched."""
    now = clock.now()
    with db.transaction() as session:
        return len(service.report(session, now, plan, service.detect(session, now, plan, checkpoint)))


def _ingest(db: Database, actor: Actor, now: Any, messages: list[Msg], source: str) -> service.IngestResult:
    with db.transaction() as session:
        rows = [(m.metadata.sequence.stream, m.data) for m in messages]
        return service.ingest(session, actor, now, rows, source=source, scans_wanted=True)


def _dead_letter(
    db: Database, actor: Actor, now: Any, message: Msg, source: str, error: Exception, deliveries: int
) -> service.IngestResult:
    """A message that failed alone ``deliveries`` times, as a dead letter naming the error."""
    sequence = message.metadata.sequence.stream
    raw = message.data[:2000].decode("utf-8", "replace")
    first_line = (str(error).splitlines() or [""])[0][:300]
    reason = f"not stored after {deliveries} deliveries: {type(error).__name__}: {first_line}"
    with db.transaction() as session:
        return service.ingest(session, actor, now, [(sequence, Rejected(sequence, raw, reason))], source)


def _database_answers(db: Database) -> bool:
    """Whether the failure was the batch's (the database answers) or the database's own."""
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True
    except Exception:
        return False
