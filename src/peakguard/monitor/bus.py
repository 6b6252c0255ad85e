"""Events from a NATS JetStream stream: the deployment for a parcel network whose scanners
already publish to a bus (the embedded default reads files and the HTTP API instead).

The stream is split into partitions by parcel id (:mod:`.partitions`): ``<subject>.p.<n>``, or
just ``<subject>`` with one partition. Each partition has its durable pull consumer; a worker
(``peakguard monitor --bus``, one per process, ``--workers N`` starts N) owns some partitions
and takes micro-batches from each. A batch goes through the same ``ingest`` as a file
(idempotent by ``event_id``, a bad message dead-lettered with its stream sequence and the
reason) in one transaction that also records the partition's progress, the partition's counts
are stored when due (once a ``detect_every`` while batches keep coming, and whenever it has
caught up), and only then are the messages acknowledged. A worker that dies between commit and
ack leaves the batch to be handed out again, and idempotency absorbs it: at least once on the
bus, exactly once in the database. (A redelivered bad message whose dead letter is already
stored, same stream sequence and text, is not dead-lettered twice.)

Each partition's detection runs on its own in-memory
:class:`~peakguard.monitor.parcels.ParcelCheckpoint`, read from ``parcel_state`` when the
worker takes the partition and then folded forward with each batch's new scans, so a batch
costs its own size, not a re-read of every parcel. The one reporter sums the partitions' counts
into one incident per kind and area.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
import nats
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from peakguard.audit.service import Actor
from peakguard.clock import Clock
from peakguard.db import Database
from peakguard.incidents import followups
from peakguard.monitor import partitions, service
from peakguard.monitor.bulk import scan_row
from peakguard.monitor.events import Rejected
from peakguard.monitor.parcels import ParcelCheckpoint, warm_up
from peakguard.nats_connect import connect_once, quiet
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan

DEFAULT_SUBJECT = "peakguard.events"
DEFAULT_STREAM = "PEAKGUARD_EVENTS"
DEFAULT_DURABLE = "peakguard-monitor"
BATCH = 10_000
"""Events per micro-batch by default: a transaction's fixed costs (its statements, the
partition's progress, the audit entry) spread over many events, a batch's rows still a few MiB."""
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
    """Fetches in a row that found nothing on any of the worker's partitions (reset by any
    message, and by a partition with messages still to come)."""
    pending: int = 0
    """Messages still waiting in the worker's partitions after their last batches."""
    partitions: list[int] = field(default_factory=list)
    """The partitions this worker owns now."""
    unowned: int = 0
    """Partitions nobody owned at the last look (a worker about to stop waits for none)."""
    takeovers: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def events(self) -> int:
        """Events the messages held: stored, repeated or dead-lettered."""
        return self.accepted + self.duplicates + self.dead_lettered

    @property
    def rate(self) -> float:
        """Events per second since the consumer started."""
        return self.events / max(time.perf_counter() - self.started, 1e-9)


class BusMismatch(ValueError):
    """The stream exists with other subjects than this configuration expects."""


@dataclass(frozen=True)
class Bus:
    url: str
    subject: str = DEFAULT_SUBJECT
    stream: str = DEFAULT_STREAM
    durable: str = DEFAULT_DURABLE
    ack_wait: float = 10.0
    """Seconds the server waits for an ack before handing a message out again (applies when
    the durable consumer is created): how long a dead worker's last batch waits."""
    fetch_timeout: float = 1.0
    """Seconds one fetch waits for messages before it counts as an idle poll."""
    max_deliveries: int = 5
    """Deliveries of a message that cannot be stored even alone before it is dead-lettered."""
    detect_every: float = 1.0
    """Seconds between detection rounds while batches keep coming (a round also runs whenever
    the consumer has caught up, so an event reaches its incident within about this long)."""
    reconnect_attempts: int = 20
    """The client's own reconnects (every half second) before the consumer starts over."""
    partitions: int = 1
    """Partitions of the stream by parcel id: publishers and workers must agree."""

    def subject_of(self, partition: int) -> str:
        return self.subject if self.partitions == 1 else f"{self.subject}.p.{partition}"

    def durable_of(self, partition: int) -> str:
        return self.durable if self.partitions == 1 else f"{self.durable}-p{partition}"

    @property
    def stream_subjects(self) -> list[str]:
        return [self.subject if self.partitions == 1 else f"{self.subject}.p.*"]


async def ensure_stream(js: Any, bus: Bus) -> None:
    """Create the stream for the subjects if the server does not have it yet; refuse one that
    holds other subjects (another partition count: events would go where no worker reads)."""
    try:
        info = await js.stream_info(bus.stream)
    except NotFoundError:
        await js.add_stream(name=bus.stream, subjects=bus.stream_subjects)
        return
    if list(info.config.subjects or []) != bus.stream_subjects:
        raise BusMismatch(
            f"stream {bus.stream} holds {info.config.subjects}, not {bus.stream_subjects}: "
            f"use the --partitions the stream was made with"
        )


PACK = 500
"""Events per bus message that ``peakguard publish`` packs by default (one partition's, one a
line): each message costs the client, the server and the consumer about as much as a small
event's bytes, so a message per event spent most of the consumer's time on the messages."""
MESSAGE_BYTES = 256 * 1024
"""Most bytes packed into one message (the server's ``max_payload`` is 1 MiB by default)."""


async def publish(
    bus: Bus, rows: Iterable[tuple[int, Any]], pack: int = PACK, on_sent: Callable[[int], None] | None = None
) -> int:
    """Send rows (as read from an event file) to their partitions' subjects, up to ``pack`` of
    one partition a message (NDJSON: one event a line, in order), each message stored by the
    stream (acknowledged) before this returns, up to :data:`PUBLISH_WINDOW` in flight at once.
    A row the file reader already refused is sent as its raw text, so the consumer
    dead-letters it rather than it vanishing here; one with a line break in it goes alone.
    ``on_sent`` hears how many events each acknowledged window held. Returns the events sent."""
    nc = await connect_once(bus.url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, bus)
        limit = min(MESSAGE_BYTES, nc.max_payload // 2)
        packs: dict[str, _Pack] = {}
        window: list[tuple[str, bytes, int]] = []
        sent = 0
        for _line, row in rows:
            subject = bus.subject_of(partitions.partition_of(partitions.routing_key(row), bus.partitions))
            data = _message(row)
            sent += 1
            held = packs.setdefault(subject, _Pack())
            if held.lines and (len(held.lines) >= pack or held.size + len(data) >= limit or b"\n" in data):
                window.append((subject, *held.take()))
            if pack <= 1 or b"\n" in data:
                window.append((subject, data, 1))
            else:
                held.add(data)
            if len(window) >= PUBLISH_WINDOW:
                await _send(js, bus, window, on_sent)
                window = []
        window += [(subject, *held.take()) for subject, held in packs.items() if held.lines]
        await _send(js, bus, window, on_sent)
        return sent
    finally:
        await nc.close()


@dataclass
class _Pack:
    """One partition's events waiting to go out as one message."""

    lines: list[bytes] = field(default_factory=list)
    size: int = 0

    def add(self, data: bytes) -> None:
        self.lines.append(data)
        self.size += len(data) + 1

    def take(self) -> tuple[bytes, int]:
        """The message, and how many events it holds."""
        data, events = b"\n".join(self.lines), len(self.lines)
        self.lines, self.size = [], 0
        return data, events


def _message(row: Any) -> bytes:
    """An NDJSON line goes out as it is; a refused row as its raw text; a value as JSON."""
    if isinstance(row, bytes):
        return row
    text = row.raw if isinstance(row, Rejected) else json.dumps(row, ensure_ascii=False, default=str)
    return text.encode("utf-8")


async def _send(
    js: Any, bus: Bus, window: list[tuple[str, bytes, int]], on_sent: Callable[[int], None] | None
) -> None:
    await asyncio.gather(*(js.publish(subject, data, stream=bus.stream) for subject, data, _ in window))
    if on_sent is not None and window:
        on_sent(sum(events for _, _, events in window))


async def consume(
    db: Database,
    clock: Clock,
    bus: Bus,
    *,
    batch: int = BATCH,
    stop: Callable[[ConsumeStats], bool],
    on_batch: Callable[[ConsumeStats], None] | None = None,
    plan: Plan | None = None,
    before_ack: Callable[[list[Msg]], None] | None = None,
    on_reconnect: Callable[[Exception, float], None] | None = None,
    workers: int = 1,
    name: str | None = None,
    on_takeover: Callable[[int, int], None] | None = None,
) -> ConsumeStats:
    """Consume until ``stop(stats)`` says so (checked after every fetch). ``before_ack`` runs
    after a batch's commit and before its acks: the window a crash would hit.

    This worker takes its share of the bus's partitions (``ceil(partitions / workers)``), and
    any partition whose lease stays free for :data:`TAKEOVER_AFTER` seconds (its worker died);
    ``on_takeover(partition, sequence)`` hears of each. One worker at a time is the reporter.

    The first connection must succeed (a wrong URL is an error at once). After that a lost
    connection is waited out: the client reconnects by itself, and if it gives up the consumer
    connects again after a growing pause (``on_reconnect`` hears of each), keeping its
    partitions and checkpoints, which only ever hold committed batches (issue 13 item 3)."""
    worker = _Worker(
        db, clock, bus, plan or current_plan(), batch, workers,
        name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}", on_takeover,
    )  # fmt: skip
    await ensure_reachable(bus)
    await run_in_threadpool(warm_up, worker.plan)
    worker.leases = await run_in_threadpool(partitions.leases_for, db, bus.stream)
    pause = RECONNECT_FIRST_PAUSE
    try:
        while True:
            try:
                nc = await nats.connect(
                    bus.url,
                    connect_timeout=3,
                    error_cb=quiet,
                    reconnect_time_wait=RECONNECT_FIRST_PAUSE,
                    max_reconnect_attempts=bus.reconnect_attempts,
                )
            except (nats.errors.Error, OSError) as exc:
                await _pause(exc, pause, on_reconnect)
                pause = min(pause * 2, RECONNECT_MAX_PAUSE)
                continue
            try:
                js = nc.jetstream()
                await ensure_stream(js, bus)
                pause = RECONNECT_FIRST_PAUSE
                await worker.run(js, stop, on_batch, before_ack)
                await worker.finish()
                await nc.flush()
                return worker.stats
            except (nats.errors.Error, OSError) as exc:
                await _pause(exc, pause, on_reconnect)
                pause = min(pause * 2, RECONNECT_MAX_PAUSE)
            finally:
                await _close(nc)
    finally:
        await run_in_threadpool(worker.leases.close)


async def ensure_reachable(bus: Bus) -> None:
    """The first connection, by :func:`~peakguard.nats_connect.connect_once`: a wrong URL is an
    error within seconds, not a retry loop."""
    nc = await connect_once(bus.url)
    await _close(nc)


TAKEOVER_AFTER = 3.0
"""Seconds a partition's lease must stay free before a worker beyond its share takes it: long
enough for workers started together to take their shares first, short enough that a dead
worker's partitions are consumed again within 10 s."""
REBALANCE_EVERY = 1.0
REPORT_EVERY = 0.25
"""Seconds between the reporter's looks at the partitions' counts."""


class _Unpacked:
    """A micro-batch's events in arrival order as rows numbered from 1, and where each came from.

    A message holds one event, or several, one a line (NDJSON, as ``peakguard publish`` packs
    them); a message with one line, or whose first line is no JSON on its own while the whole
    is (one event written over several lines), is one event. A refused event's dead letter
    names its message: ``nats:<subject>`` and the stream sequence for a message of one event,
    ``nats:<subject>@<sequence>`` and the line within the message for a packed one."""

    def __init__(self, messages: list[Msg], subject: str) -> None:
        self.messages, self.subject = messages, subject
        self.rows: list[tuple[int, bytes]] = []
        self.places: list[tuple[int, int]] = []
        """Per row: its message's index, and its line within the message (0: the whole)."""
        for index, message in enumerate(messages):
            for within, data in _lines(message.data):
                self.rows.append((len(self.rows) + 1, data))
                self.places.append((index, within))

    def sequence(self, line: int) -> int:
        return int(self.messages[self.places[line - 1][0]].metadata.sequence.stream)

    def origin(self, line: int) -> tuple[str, int]:
        within = self.places[line - 1][1]
        if within == 0:
            return f"nats:{self.subject}", self.sequence(line)
        return f"nats:{self.subject}@{self.sequence(line)}", within

    def text(self, line: int) -> bytes:
        return self.rows[line - 1][1]

    def last_sequence(self, rows: list[tuple[int, Any]]) -> int:
        return max(self.sequence(line) for line in {self.places[n - 1][0]: n for n, _ in rows}.values())

    def by_message(self, lines: Iterable[int]) -> dict[int, list[int]]:
        """The given lines grouped by the index of their message."""
        out: dict[int, list[int]] = {}
        for line in sorted(lines):
            out.setdefault(self.places[line - 1][0], []).append(line)
        return out


def _lines(data: bytes) -> list[tuple[int, bytes]]:
    """A message's events with their line numbers, or ``[(0, data)]`` for one event."""
    found = [(n, line.rstrip(b"\r")) for n, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    if len(found) < 2:
        return [(0, data)]
    try:
        _JSON.decode(found[0][1])
    except msgspec.DecodeError:
        with contextlib.suppress(msgspec.DecodeError):
            _JSON.decode(data)
            return [(0, data)]
    return found


_JSON = msgspec.json.Decoder()


@dataclass
class _Partition:
    number: int
    subject: str
    checkpoint: ParcelCheckpoint
    subscription: Any = None
    counts: partitions.Counts | None = None
    """The counts last written (None: none yet, the stored ones may be a former owner's)."""
    unwritten: bool = True
    """New scans (or a fresh checkpoint) since the counts were last written."""
    written_at: float = 0.0
    idle: bool = False
    pending: int = 0
    leaving: bool = False
    """Handed over to another worker once the batch in hand is acknowledged."""
    per_message: float = float(PACK)
    """Events a message held in the last fetches (see ``_fetch``)."""


class _Worker:
    """One worker's partitions, their checkpoints and the reporter's duty, across reconnects."""

    def __init__(
        self, db: Database, clock: Clock, bus: Bus, plan: Plan, batch: int, workers: int, name: str,
        on_takeover: Callable[[int, int], None] | None,
    ) -> None:  # fmt: skip
        self.db, self.clock, self.bus, self.plan, self.batch, self.name = db, clock, bus, plan, batch, name
        self.fleet = max(workers, 1)
        self.share = -(-bus.partitions // self.fleet)
        self.on_takeover = on_takeover
        self.actor = Actor.system(f"bus:{bus.subject}")
        self.stats = ConsumeStats()
        self.leases: partitions.Leases
        self.owned: dict[int, _Partition] = {}
        self.free_since: dict[int, float] = {}
        self.members_seen = 0
        """Workers alive at the last rebalance."""
        self.reporter = False
        self.combiner = partitions.Combiner(bus.stream)
        self.pacer = partitions.Pacer()
        self.reported_at = 0.0
        self.report_owed = False
        """A report was begun and not committed: the combiner has taken the counts in, so the
        next round reports even if no partition moved since."""
        self.follow_up = False
        self.report_lock = asyncio.Lock()
        self.db_lock = asyncio.Lock() if db.dialect == "sqlite" else None
        self.done = asyncio.Event()
        self.report_due = asyncio.Event()
        self.followups_due = asyncio.Event()
        self.failure: BaseException | None = None

    async def _db(self, work: Callable[..., Any], *args: Any) -> Any:
        """Database work in a thread; one at a time on SQLite (one writer)."""
        if self.db_lock is None:
            return await run_in_threadpool(work, *args)
        async with self.db_lock:
            return await run_in_threadpool(work, *args)

    async def run(
        self,
        js: Any,
        stop: Callable[[ConsumeStats], bool],
        on_batch: Callable[[ConsumeStats], None] | None,
        before_ack: Callable[[list[Msg]], None] | None,
    ) -> None:
        self.done = asyncio.Event()
        self.failure = None
        tasks: list[asyncio.Task[None]] = []

        def start(part: _Partition) -> None:
            tasks.append(
                asyncio.create_task(self._guard(self._consume(js, part, stop, on_batch, before_ack)))
            )

        for part in self.owned.values():  # kept across a reconnect
            part.subscription = await self._subscribe(js, part.number)
            start(part)
        await self._rebalance(js, start)
        if not self.owned and stop(self.stats):
            self.done.set()
        tasks.append(asyncio.create_task(self._guard(self._report_loop())))
        tasks.append(asyncio.create_task(self._guard(self._follow_up_loop())))
        tasks.append(asyncio.create_task(self._guard(self._rebalance_loop(js, start, stop))))
        await self.done.wait()
        while tasks:  # every loop ends by itself once done is set
            running, tasks[:] = list(tasks), []
            await asyncio.gather(*running)
        if self.failure is not None:
            raise self.failure

    async def _guard(self, work: Any) -> None:
        try:
            await work
        except BaseException as exc:  # the first failure ends the round and is raised by run()
            if self.failure is None:
                self.failure = exc
            self.done.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), seconds)

    # --- partitions ----------------------------------------------------------------------

    async def _rebalance_loop(self, js: Any, start: Callable[[_Partition], None], stop: Any) -> None:
        while not self.done.is_set():
            await self._sleep(REBALANCE_EVERY)
            if self.done.is_set():
                return
            await self._rebalance(js, start)
            if not self.owned:  # nothing to fetch: the idle polls count here
                self.stats.idle_polls += 1
                if stop(self.stats):
                    self.done.set()

    async def _rebalance(self, js: Any, start: Callable[[_Partition], None]) -> None:
        """Take the free partitions this worker is due: its share, and any left free too long;
        hand over the ones beyond its share when other workers have room for them (a worker
        started later than the others, or more workers than ``--fleet`` said).

        The share is ``ceil(partitions / workers)``, the workers being the ones alive (their
        member leases) or the fleet, whichever is more; so a lone survivor keeps what it took
        over, and a newcomer gets partitions from the ones with too many. In the round that
        sees fewer workers alive than the one before, the share is by the workers alive alone:
        the partitions freed were a worker's that ended, not ones kept for a worker starting,
        so they are taken at once instead of after :data:`TAKEOVER_AFTER` (a worker killed at
        30,000 events/s: taken over 6.1-6.2 s after the kill before this, 2.8-3.2 s after)."""
        if not await run_in_threadpool(self.leases.alive):
            raise partitions.LostPartition("the lease connection is gone")
        members = await run_in_threadpool(self.leases.members)
        ended, self.members_seen = members < self.members_seen, members
        self.share = -(-self.bus.partitions // (members if ended else max(members, self.fleet)))
        staying = [n for n, p in sorted(self.owned.items()) if not p.leaving]
        room = (members - 1) * self.share - (self.bus.partitions - len(self.owned))
        for number in staying[self.share :][: max(room, 0)]:
            self.owned[number].leaving = True  # its consumer hands it over between batches
        now, free = time.monotonic(), {}
        taking: list[int] = []
        for number in range(self.bus.partitions):
            if number in self.owned:
                continue
            if not await run_in_threadpool(self.leases.acquire, number):
                continue
            since = self.free_since.get(number, now)
            if len(self.owned) + len(taking) < self.share or now - since >= TAKEOVER_AFTER:
                taking.append(number)
            else:
                await run_in_threadpool(self.leases.release, number)
                free[number] = since
        for part in await self._take(js, taking):
            start(part)
        self.free_since = free
        self.stats.partitions = sorted(self.owned)
        self.stats.unowned = len(free)

    async def _take(self, js: Any, numbers: list[int]) -> list[_Partition]:
        """The partitions whose leases this worker now holds, taken together: owner written
        down and checkpoints read in one transaction, one pass over ``parcel_state`` for all of
        them (a pass each made a worker's last partition start a pass per partition later, and
        cost a takeover one read of every parcel in flight per partition)."""
        if not numbers:
            return []
        taken = await self._db(self._take_over, numbers)
        parts = []
        for number, (sequence, checkpoint) in taken.items():
            part = _Partition(number, self.bus.subject_of(number), checkpoint)
            part.subscription = await self._subscribe(js, number)
            self.owned[number] = part
            self.stats.takeovers += 1
            if self.on_takeover is not None:
                self.on_takeover(number, sequence)
            parts.append(part)
        return parts

    def _take_over(self, numbers: list[int]) -> dict[int, tuple[int, ParcelCheckpoint]]:
        with self.db.transaction() as session:
            now, stream = self.clock.now(), self.bus.stream
            sequences = {n: partitions.take_over(session, stream, n, self.name, now) for n in numbers}
            checkpoints = partitions.load_checkpoints(session, self.bus.partitions, numbers)
            return {n: (sequences[n], checkpoints[n]) for n in numbers}

    async def _subscribe(self, js: Any, number: int) -> Any:
        """The partition's durable consumer, made if missing; one made with a smaller
        ``max_ack_pending`` than a fetch of this worker's batch (the server's default is 1,000
        messages) is raised in place, which the server allows."""
        durable, pending = self.bus.durable_of(number), max(self.batch, MIN_ACK_PENDING)
        with contextlib.suppress(NotFoundError):
            info = await js.consumer_info(self.bus.stream, durable)
            if (info.config.max_ack_pending or 0) < pending:
                info.config.max_ack_pending = pending
                await js.add_consumer(self.bus.stream, config=info.config)
        return await js.pull_subscribe(
            self.bus.subject_of(number),
            durable=durable,
            stream=self.bus.stream,
            config=ConsumerConfig(ack_wait=self.bus.ack_wait, max_ack_pending=pending),
        )

    async def _drop(self, part: _Partition) -> None:
        """Another worker owns it now, or will: forget it, unacknowledged messages go to the new
        owner."""
        self.owned.pop(part.number, None)
        self.stats.partitions = sorted(self.owned)
        await run_in_threadpool(self.leases.release, part.number)
        with contextlib.suppress(nats.errors.Error, OSError):
            await part.subscription.unsubscribe()

    async def _consume(
        self,
        js: Any,
        part: _Partition,
        stop: Callable[[ConsumeStats], bool],
        on_batch: Callable[[ConsumeStats], None] | None,
        before_ack: Callable[[list[Msg]], None] | None,
    ) -> None:
        while not self.done.is_set():
            if part.leaving:
                await self._drop(part)
                return
            await self._handle(part, await self._fetch(part), stop, on_batch, before_ack)
            if part.number not in self.owned:
                return

    async def _handle(
        self,
        part: _Partition,
        messages: list[Msg],
        stop: Callable[[ConsumeStats], bool],
        on_batch: Callable[[ConsumeStats], None] | None,
        before_ack: Callable[[list[Msg]], None] | None,
    ) -> None:
        """One fetch's messages: stored, counted when due, acknowledged (or, none, an idle poll)."""
        stats = self.stats
        if not messages:
            part.idle = not await self._waiting(part)
            # a partition with messages still to come (one just taken over, whose last batches
            # the dead owner holds until the ack wait ends) is no idle poll: the count starts over
            all_idle = all(p.idle for p in self.owned.values())
            stats.idle_polls = stats.idle_polls + 1 if all_idle else 0
            if part.unwritten or time.monotonic() - part.written_at >= self.bus.detect_every:
                await self._count(part)
        else:
            part.idle, stats.idle_polls = False, 0
            try:
                again, results = await self._db(self._store, part, messages)
            except partitions.LostPartition:
                await self._drop(part)
                return
            for result in results:
                stats.accepted += result.accepted
                stats.duplicates += result.duplicates + result.dead_letters_known
                stats.dead_lettered += len(result.rejected) - result.dead_letters_known
            part.unwritten = True
            caught_up = not messages[-1].metadata.num_pending
            if caught_up or time.monotonic() - part.written_at >= self.bus.detect_every:
                await self._count(part)
            if before_ack is not None:
                before_ack(messages)
            # only after the commit: a crash before this re-delivers
            later = {id(m) for m in again}
            for m in messages:  # each only queues a few bytes: no task per message
                await (m.nak(delay=REDELIVERY_DELAY) if id(m) in later else m.ack())
            stats.batches += 1
            stats.messages += len(messages) - len(again)
            part.pending = messages[-1].metadata.num_pending or 0
            stats.pending = sum(p.pending for p in self.owned.values())
            if on_batch is not None:
                on_batch(stats)
        if part.number in self.owned and stop(stats):
            self.done.set()

    async def _fetch(self, part: _Partition) -> list[Msg]:
        """Messages holding up to a batch of events: fetched in as many messages as the batch's
        events would take at the partition's last events per message (at first as if packed,
        so that a first fetch of packed messages is not 500 times the batch), then more while
        the partition has more waiting and the batch is not full."""
        got: list[Msg] = []
        events = 0
        while events < self.batch:
            wanted = max(1, int((self.batch - events) / part.per_message))
            try:
                messages = await part.subscription.fetch(wanted, timeout=self.bus.fetch_timeout)
            except TimeoutError:  # nats-py raises its own subclass or asyncio's (this one since 3.11)
                break
            if not messages:
                break
            got += messages
            events += sum(m.data.count(b"\n") + 1 for m in messages)
            part.per_message = events / len(got)
            if not messages[-1].metadata.num_pending:
                break
        return got

    async def _waiting(self, part: _Partition) -> bool:
        """Whether messages of the partition are still to come after an empty fetch: out
        unacknowledged (a dead worker's last batch, a message handed back for a retry), or not
        delivered yet (a fetch can run out of time on a starved event loop with a backlog
        waiting, and ``--until-idle`` must not stop then)."""
        info = await part.subscription.consumer_info()
        return bool(info.num_ack_pending or info.num_pending)

    def _store(self, part: _Partition, messages: list[Msg]) -> tuple[list[Msg], list[service.IngestResult]]:
        """One micro-batch: ingest and commit with the partition's progress, then fold the new
        scans into its checkpoint. Returns the messages to hand out again later, and the results.

        A batch the database refuses as a whole is halved until each part is stored or is one
        event that fails alone, so one poison event cannot hold back the good ones around it
        (issue 13 item 4); the message holding it is handed out again and, at its
        ``max_deliveries``-th delivery, the event is dead-lettered with the error."""
        now = self.clock.now()
        batch = _Unpacked(messages, part.subject)
        failed: dict[int, Exception] = {}
        results = self._halves(now, part, batch, batch.rows, failed)
        again: list[Msg] = []
        for index, lines in batch.by_message(failed).items():
            message = messages[index]
            if (message.metadata.num_delivered or 1) < self.bus.max_deliveries:
                again.append(message)
            else:
                results.append(self._dead_letter(now, part, batch, {n: failed[n] for n in lines}))
        for result in results:
            part.checkpoint.add(scan_row(r) for r in result.scans)
        return again, results

    def _halves(
        self, now: datetime, part: _Partition, batch: _Unpacked, rows: list[tuple[int, bytes]],
        failed: dict[int, Exception],
    ) -> list[service.IngestResult]:  # fmt: skip
        """Store ``rows`` in parts: halves of a part the database refuses, down to single rows,
        whose errors go into ``failed`` by line. A refusal while the database does not answer
        at all is no row's fault: it is raised, and nothing is marked failed."""
        try:
            return [self._ingest(now, part, batch, rows)]
        except partitions.LostPartition:
            raise
        except Exception as exc:
            if not _database_answers(self.db):
                raise
            if len(rows) == 1:
                failed[rows[0][0]] = exc
                return []
        middle = len(rows) // 2
        return self._halves(now, part, batch, rows[:middle], failed) + self._halves(
            now, part, batch, rows[middle:], failed
        )

    def _ingest(
        self, now: datetime, part: _Partition, batch: _Unpacked, rows: list[tuple[int, Any]]
    ) -> service.IngestResult:
        with self.db.transaction() as session:
            result = service.ingest(
                session, self.actor, now, rows, source=f"nats:{part.subject}", scans_wanted=True,
                origin=batch.origin,
            )  # fmt: skip
            partitions.advance(session, self.bus.stream, part.number, self.name, batch.last_sequence(rows))
            return result

    def _dead_letter(
        self, now: datetime, part: _Partition, batch: _Unpacked, errors: dict[int, Exception]
    ) -> service.IngestResult:
        """Events that failed alone ``max_deliveries`` times, as dead letters naming the error."""
        rejected = []
        for line, error in errors.items():
            raw = batch.text(line)[:2000].decode("utf-8", "replace")
            first_line = (str(error).splitlines() or [""])[0][:300]
            reason = (
                f"not stored after {self.bus.max_deliveries} deliveries: {type(error).__name__}: {first_line}"
            )
            rejected.append((line, Rejected(line, raw, reason)))
        return self._ingest(now, part, batch, rejected)

    # --- counts and the reporter ---------------------------------------------------------

    async def _count(self, part: _Partition) -> None:
        """Store the partition's counts if they changed, and wake the reporter: it reports at
        once (an event reaches its incident without waiting for a round), beside the consuming
        instead of in its way (a caught-up partition used to wait for the report, incidents
        opened included, before it took its next batch)."""
        try:
            await self._db(self._write_counts, part)
        except partitions.LostPartition:
            await self._drop(part)
            return
        self.report_due.set()

    def _write_counts(self, part: _Partition) -> None:
        counts = partitions.partition_counts(part.checkpoint, self.clock.now(), self.plan)
        if counts != part.counts:
            with self.db.transaction() as session:
                partitions.write_counts(session, self.bus.stream, part.number, self.name, counts, part.counts)
            part.counts = counts
        part.unwritten, part.written_at = False, time.monotonic()

    async def _report_loop(self) -> None:
        while not self.done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.report_due.wait(), REPORT_EVERY)
            self.report_due.clear()
            await self._report(force=time.monotonic() - self.reported_at >= self.bus.detect_every)

    async def _report(self, force: bool, final: bool = False) -> None:
        async with self.report_lock:
            if not self.reporter:
                self.reporter = await run_in_threadpool(self.leases.acquire, partitions.REPORTER)
                self.follow_up = self.reporter  # what an earlier reporter left pending
            if self.reporter:
                touched = await self._again_if_deadlocked(self._report_now, force, final)
                self.stats.incidents_touched += touched
                if touched or self.follow_up:
                    self.follow_up = False
                    self.followups_due.set()

    async def _follow_up_loop(self) -> None:
        """The reported incidents' notices, pages and client matching, after the report's commit
        and beside the consuming: a caught-up partition waits for its report, not for these."""
        while not self.done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.followups_due.wait(), REPORT_EVERY)
            if self.followups_due.is_set():
                self.followups_due.clear()
                await self._again_if_deadlocked(followups.run_due, self.db, self.clock.now(), self.plan)

    async def _again_if_deadlocked(self, work: Callable[..., Any], *args: Any) -> Any:
        """The reporter's work, run again when PostgreSQL chose it as a deadlock's victim: a
        report locks its incidents in signal order while the follow-ups of the one before insert
        notices and pages against theirs in id order (the bench caught the two deadlocking, which
        ended the worker). The victim's transaction was rolled back whole, so running it again
        is safe (a report that did not commit is owed: see ``_report_now``)."""
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                return await self._db(work, *args)
            except DBAPIError as exc:
                if attempt == DEADLOCK_RETRIES or getattr(exc.orig, "sqlstate", None) != DEADLOCK:
                    raise
            await asyncio.sleep(0.1 * attempt)
        raise AssertionError("unreachable")

    def _report_now(self, force: bool, final: bool) -> int:
        """Sum the partitions' counts (re-reading those that moved) with the shop signals and
        report what changed (a count at the same level at most every few seconds, all of it
        at the ``final`` report); the incidents touched."""
        now = self.clock.now()
        with self.db.transaction() as session:
            if not self.combiner.refresh(session) and not force and not self.report_owed:
                return 0
            self.reported_at, self.report_owed = time.monotonic(), True  # until this commits
            signals = self.combiner.signals(self.plan) + service.shop_signals(session, now, self.plan)
            touched = len(service.report(session, now, self.plan, self.pacer.due(signals, final)))
        self.report_owed = False
        return touched

    async def finish(self) -> None:
        """At a clean stop: the last counts written and reported (by this worker if no other
        reporter is left), then every lease let go."""
        for part in list(self.owned.values()):
            if part.unwritten:
                await self._count(part)
        await self._report(force=True, final=True)
        if self.followups_due.is_set():
            self.followups_due.clear()
            await self._again_if_deadlocked(followups.run_due, self.db, self.clock.now(), self.plan)
        for number in list(self.owned):
            await run_in_threadpool(self.leases.release, number)
        self.owned.clear()
        if self.reporter:
            await run_in_threadpool(self.leases.release, partitions.REPORTER)
            self.reporter = False


RECONNECT_FIRST_PAUSE = 0.5
RECONNECT_MAX_PAUSE = 10.0
MIN_ACK_PENDING = 1000
"""Unacknowledged messages a partition's consumer may have out at least (the server's default)."""
REDELIVERY_DELAY = 1.0
"""Seconds before a message that could not be stored alone is handed out again."""
DEADLOCK = "40P01"
"""PostgreSQL's SQLSTATE for a transaction it rolled back to break a deadlock."""
DEADLOCK_RETRIES = 5


async def _pause(
    exc: Exception, seconds: float, on_reconnect: Callable[[Exception, float], None] | None
) -> None:
    if on_reconnect is not None:
        on_reconnect(exc, seconds)
    await asyncio.sleep(seconds)


async def _close(nc: Any) -> None:
    with contextlib.suppress(nats.errors.Error, OSError):  # already gone: nothing to release
        await nc.close()


def _database_answers(db: Database) -> bool:
    """Whether the failure was the batch's (the database answers) or the database's own."""
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True
    except Exception:
        return False
