"""Events from a NATS JetStream subject: the deployment for a parcel network whose scanners
already publish to a bus (the embedded default reads files and the HTTP API instead).

A durable pull consumer takes micro-batches; each batch goes through the same ``ingest`` as a
file (idempotent by ``event_id``, a bad message dead-lettered with its stream sequence and the
reason) in one transaction, detection runs, and only then are the messages acknowledged. A
consumer that dies between commit and ack gets the batch again, and idempotency absorbs it: at
least once on the bus, exactly once in the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import NotFoundError
from starlette.concurrency import run_in_threadpool

from peakguard.audit.service import Actor
from peakguard.clock import Clock
from peakguard.db import Database
from peakguard.monitor import service
from peakguard.monitor.events import Rejected

DEFAULT_SUBJECT = "peakguard.events"
DEFAULT_STREAM = "PEAKGUARD_EVENTS"
DEFAULT_DURABLE = "peakguard-monitor"


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


@dataclass(frozen=True)
class Bus:
    url: str
    subject: str = DEFAULT_SUBJECT
    stream: str = DEFAULT_STREAM
    durable: str = DEFAULT_DURABLE


async def ensure_stream(js: Any, bus: Bus) -> None:
    """Create the stream for the subject if the server does not have it yet."""
    try:
        await js.stream_info(bus.stream)
    except NotFoundError:
        await js.add_stream(name=bus.stream, subjects=[bus.subject])


async def publish(bus: Bus, rows: Iterable[tuple[int, Any]]) -> int:
    """Send rows (as read from an event file) to the subject, each stored by the stream before
    the next; a row the file reader already refused is sent as its raw text, so the consumer
    dead-letters it rather than it vanishing here."""
    nc = await nats.connect(bus.url, connect_timeout=3)
    try:
        js = nc.jetstream()
        await ensure_stream(js, bus)
        sent = 0
        for _line, row in rows:
            data = row.raw if isinstance(row, Rejected) else json.dumps(row, ensure_ascii=False, default=str)
            await js.publish(bus.subject, data.encode("utf-8"), stream=bus.stream)
            sent += 1
        return sent
    finally:
        await nc.close()


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
) -> ConsumeStats:
    """Consume until ``stop(stats)`` says so (checked after every fetch)."""
    actor = Actor.system(f"bus:{bus.subject}")
    stats = ConsumeStats()
    nc = await nats.connect(bus.url, connect_timeout=3)
    try:
        js = nc.jetstream()
        await ensure_stream(js, bus)
        subscription = await js.pull_subscribe(bus.subject, durable=bus.durable, stream=bus.stream)
        while not stop(stats):
            try:
                messages = await subscription.fetch(batch, timeout=1)
            except NatsTimeout:
                messages = []
            if not messages:
                stats.idle_polls += 1
                continue
            stats.idle_polls = 0
            rows = [decode(m.metadata.sequence.stream, m.data) for m in messages]
            touched = await run_in_threadpool(_store_and_detect, db, clock, actor, rows, bus.subject, stats)
            for message in messages:  # only after the commit: a crash before this re-delivers
                await message.ack()
            stats.batches += 1
            stats.messages += len(messages)
            stats.incidents_touched += touched
            if on_batch is not None:
                on_batch(stats)
        return stats
    finally:
        await nc.close()


def _store_and_detect(
    db: Database, clock: Clock, actor: Actor, rows: list[tuple[int, Any]], subject: str, stats: ConsumeStats
) -> int:
    now = clock.now()
    with db.transaction() as session:
        result = service.ingest(session, actor, now, rows, source=f"nats:{subject}")
    stats.accepted += result.accepted
    stats.duplicates += result.duplicates
    stats.dead_lettered += len(result.rejected)
    return len(service.detection_job(db, now))
