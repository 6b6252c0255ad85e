"""Events from a NATS JetStream subject: the deployment for a parcel network whose scanners
already publish to a bus (the embedded default reads files and the HTTP API instead).

A durable pull consumer takes micro-batches; each batch goes through the same ``ingest`` as a
file (idempotent by ``event_id``, a bad message dead-lettered with its stream sequence and the
reason) in one transaction, detection runs, and only then are the messages acknowledged. A
consumer that dies between commit and ack gets the batch again, and idempotency absorbs it: at
least once on the bus, exactly once in the database. (A redelivered bad message whose dead
letter is already stored, same stream sequence, is not dead-lettered twice.)

Detection runs on an in-memory :class:`~peakguard.monitor.parcels.ParcelCheckpoint`, read once
from ``parcel_state`` when the consumer starts and then folded forward with each batch's new
scans, so a batch costs its own size, not a re-read of every parcel.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from peakguard.audit.service import Actor
from peakguard.clock import Clock
from peakguard.db import Database
from peakguard.monitor import service
from peakguard.monitor.events import Rejected
from peakguard.monitor.models import DeadLetter
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
    nc = await nats.connect(bus.url, connect_timeout=3)
    try:
        js = nc.jetstream()
        await ensure_stream(js, bus)
        sent = 0
        window: list[bytes] = []
        for _line, row in rows:
            data = row.raw if isinstance(row, Rejected) else json.dumps(row, ensure_ascii=False, default=str)
            window.append(data.encode("utf-8"))
            if len(window) >= PUBLISH_WINDOW:
                sent += await _send(js, bus, window)
                window = []
        return sent + await _send(js, bus, window)
    finally:
        await nc.close()


async def _send(js: Any, bus: Bus, window: list[bytes]) -> int:
    await asyncio.gather(*(js.publish(bus.subject, data, stream=bus.stream) for data in window))
    return len(window)


def decode(sequence: int, data: bytes) -> tuple[int, Any]:
    """A message as an ingest row: (stream sequence, JSON object) or a ``Rejected`` saying why."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return sequence, Rejected(sequence, data[:2000].decode("utf-8", "replace"), "not UTF-8 text")
    try:
        return sequence, json.loads(text)
    except json.JSONDecodeError as exc:
        return sequence, Rejected(sequence, text[:2000], f"bad JSON: {exc.msg}")


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
) -> ConsumeStats:
    """Consume until ``stop(stats)`` says so (checked after every fetch). ``before_ack`` runs
    after a batch's commit and before its acks: the window a crash would hit."""
    actor = Actor.system(f"bus:{bus.subject}")
    stats = ConsumeStats()
    plan = plan or current_plan()
    nc = await nats.connect(bus.url, connect_timeout=3)
    try:
        js = nc.jetstream()
        await ensure_stream(js, bus)
        subscription = await js.pull_subscribe(
            bus.subject, durable=bus.durable, stream=bus.stream, config=ConsumerConfig(ack_wait=bus.ack_wait)
        )
        checkpoint = await run_in_threadpool(_load_checkpoint, db)
        while not stop(stats):
            try:
                messages = await subscription.fetch(batch, timeout=1)
            except NatsTimeout:
                messages = []
            if not messages:
                stats.idle_polls += 1
                continue
            stats.idle_polls = 0
            touched = await run_in_threadpool(
                _store_and_detect, db, clock, plan, actor, checkpoint, messages, bus.subject, stats
            )
            if before_ack is not None:
                before_ack(messages)
            # only after the commit: a crash before this re-delivers
            await asyncio.gather(*(message.ack() for message in messages))
            stats.batches += 1
            stats.messages += len(messages)
            stats.incidents_touched += touched
            stats.pending = messages[-1].metadata.num_pending or 0
            if on_batch is not None:
                on_batch(stats)
        await nc.flush()
        return stats
    finally:
        await nc.close()


def _load_checkpoint(db: Database) -> ParcelCheckpoint:
    with db.transaction() as session:
        return service.load_checkpoint(session)


def _store_and_detect(
    db: Database,
    clock: Clock,
    plan: Plan,
    actor: Actor,
    checkpoint: ParcelCheckpoint,
    messages: list[Msg],
    subject: str,
    stats: ConsumeStats,
) -> int:
    """One micro-batch: ingest and commit, fold the new scans in, detect and report."""
    now = clock.now()
    source = f"nats:{subject}"
    with db.transaction() as session:
        again = [m.metadata.sequence.stream for m in messages if (m.metadata.num_delivered or 1) > 1]
        stored = _dead_lettered(session, source, again) if again else set()
        rows = [
            decode(m.metadata.sequence.stream, m.data)
            for m in messages
            if m.metadata.sequence.stream not in stored
        ]
        result = service.ingest(session, actor, now, rows, source=source)
    stats.accepted += result.accepted
    stats.duplicates += result.duplicates + len(messages) - len(rows)
    stats.dead_lettered += len(result.rejected)
    checkpoint.add((s.parcel_id, s.ts, s.status, s.area, s.site, s.exception) for s in result.scans)
    with db.transaction() as session:
        return len(service.report(session, now, plan, service.detect(session, now, plan, checkpoint)))


def _dead_lettered(session: Any, source: str, lines: list[int]) -> set[int]:
    """Stream sequences among ``lines`` whose dead letter is already stored."""
    query = select(DeadLetter.line).where(DeadLetter.source == source, DeadLetter.line.in_(lines))
    return set(session.scalars(query))
