"""Several events in one bus message (issue 14, S3.3), on the real NATS JetStream server:
``peakguard publish`` packs up to N events of one partition into one NDJSON message, in order;
the consumer takes packed and single-event messages alike; a bad line inside a packed message
costs only itself, dead-lettered with the message's stream sequence, its line and the reason;
an event the database refuses inside a packed message is found and dead-lettered after the
message's deliveries run out while the rest of the message is stored. Skipped when no NATS
server answers."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from peakguard.monitor import bus, partitions
from peakguard.monitor.models import DeadLetter, MonitorEvent
from tests.factories import count
from tests.test_monitor_bus import NATS_URL, _nats_answers, backlog_scans, drop_stream, refuse_poison

pytestmark = pytest.mark.skipif(not _nats_answers(), reason=f"no NATS server answers at {NATS_URL}")


@pytest.fixture
def target():
    tag = uuid.uuid4().hex[:10]
    target = bus.Bus(NATS_URL, f"pack.{tag}", f"PACK_{tag}", f"pack-{tag}", fetch_timeout=0.2)
    yield target
    drop_stream(target.stream)


async def _raw(target: bus.Bus, *messages: bytes) -> list[int]:
    """Publish messages as a producer would; their stream sequences."""
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        await bus.ensure_stream(js, target)
        return [(await js.publish(target.subject, m, stream=target.stream)).seq for m in messages]
    finally:
        await nc.close()


async def _stored(target: bus.Bus) -> dict[str, list[bytes]]:
    """Every message in the stream, by subject, in stream order."""
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(target.stream)).state.last_seq
        out: dict[str, list[bytes]] = {}
        for seq in range(1, last + 1):
            message = await js.get_msg(target.stream, seq)
            out.setdefault(message.subject, []).append(message.data or b"")
        return out
    finally:
        await nc.close()


def test_publish_packs_each_partitions_events_in_order(target):
    target = bus.Bus(target.url, target.subject, target.stream, target.durable, partitions=3)
    events = backlog_scans_plain(1000)
    assert asyncio.run(bus.publish(target, list(enumerate(events, 1)), pack=100)) == 1000
    stored = asyncio.run(_stored(target))
    expected = Counter(partitions.partition_of(e["parcel_id"], 3) for e in events)
    for n in range(3):
        messages = stored[target.subject_of(n)]
        lines = [json.loads(line) for m in messages for line in m.split(b"\n")]
        assert [e["event_id"] for e in lines] == [
            e["event_id"] for e in events if partitions.partition_of(e["parcel_id"], 3) == n
        ]
        assert len(messages) == -(-expected[n] // 100)  # full messages of 100, the last one less
        assert all(m.count(b"\n") < 100 for m in messages)


def backlog_scans_plain(n: int) -> list[dict]:
    return [
        {"event_id": f"e{i}", "type": "scan", "parcel_id": f"P{i}", "ts": "2026-11-10T03:00:00+00:00",
         "status": "hub_arrived", "area": "FZ-09", "site": "FZ-09-HUB"}
        for i in range(n)
    ]  # fmt: skip


def test_a_bad_line_in_a_packed_message_is_dead_lettered_with_sequence_line_and_reason(db, clock, target):
    """A packed message of five lines, the third no JSON and the fifth a scan without a time,
    next to a single-event message and one event written over several lines: every good event
    is stored, the two bad lines are dead letters naming the message (its stream sequence)
    and the line; a consumer that dies after its commit and before its acks leaves the three
    messages to come again, and they change nothing (no event, no dead letter twice)."""
    good = [json.dumps(e).encode() for e in backlog_scans(clock, 4)]
    packed = b"\n".join([good[0], good[1], b"{not json", good[2], b'{"event_id": "no-ts", "type": "scan"}'])
    pretty = json.dumps({**backlog_scans(clock, 6)[5]}, indent=2).encode()
    seqs = asyncio.run(_raw(target, packed, good[3], pretty))
    target = bus.Bus(target.url, target.subject, target.stream, target.durable, ack_wait=1.0)

    def crash(messages) -> None:
        raise Crash

    with pytest.raises(Crash):  # stored, then gone before the acks: all three come again
        asyncio.run(bus.consume(db, clock, target, batch=100, stop=lambda s: False, before_ack=crash))
    stats = asyncio.run(
        bus.consume(db, clock, target, batch=100, stop=lambda s: s.messages >= 3 or s.idle_polls > 20)
    )
    assert (stats.messages, stats.accepted, stats.duplicates, stats.dead_lettered) == (3, 0, 7, 0)
    assert count(db, MonitorEvent) == 5
    with db.transaction() as s:
        dead = sorted((d.source, d.line, d.reason) for d in s.scalars(select(DeadLetter)))
    where = f"nats:{target.subject}@{seqs[0]}"
    assert [(source, line) for source, line, _ in dead] == [(where, 3), (where, 5)]
    assert dead[0][2].startswith("bad JSON") and dead[1][2].startswith("ts")
    with db.transaction() as s:
        kept = {e.event_id for e in s.scalars(select(MonitorEvent))}
    assert kept == {f"bus-{i}" for i in range(4)} | {"bus-5"}  # the one over several lines too


class Crash(Exception):
    """The consumer dies after its commit, before its acks."""


def test_an_event_the_database_refuses_inside_a_packed_message(db, clock, target, monkeypatch):
    """One event of a packed message of 50 makes the database fail (a fault injected into the
    store): the other 49 are stored at the first delivery, the message comes again, and at its
    third delivery the event is dead-lettered with the error, its message's sequence and its
    line; then the message is acknowledged and nothing comes back."""
    target = bus.Bus(target.url, target.subject, target.stream, target.durable, max_deliveries=3)
    events = backlog_scans(clock, 50)
    events[6]["event_id"] = "poison"
    refuse_poison(monkeypatch)
    monkeypatch.setattr(bus, "REDELIVERY_DELAY", 0.2)
    assert asyncio.run(bus.publish(target, list(enumerate(events, 1)))) == 50
    stats = asyncio.run(
        bus.consume(db, clock, target, batch=100, stop=lambda s: s.dead_lettered >= 1 or s.idle_polls > 20)
    )
    assert (stats.accepted, stats.dead_lettered) == (49, 1)
    assert count(db, MonitorEvent) == 49
    with db.transaction() as s:
        dead = s.scalars(select(DeadLetter)).one()
    assert (dead.source, dead.line) == (f"nats:{target.subject}@1", 7)
    assert dead.reason.startswith("not stored after 3 deliveries: RuntimeError") and '"poison"' in dead.raw
    again = asyncio.run(bus.consume(db, clock, target, stop=lambda s: s.idle_polls > 0))
    assert again.messages == 0


def test_a_durable_made_before_gets_room_for_a_whole_batch(db, clock, target):
    """A partition's durable consumer made with the server's default (1,000 messages out
    unacknowledged at most) is raised in place to the batch, so 3,000 single-event messages
    come as one batch of 3,000, not three of 1,000."""
    import nats

    async def made_before() -> int:
        nc = await nats.connect(NATS_URL)
        try:
            js = nc.jetstream()
            await bus.ensure_stream(js, target)
            await js.pull_subscribe(target.subject, durable=target.durable, stream=target.stream)
            return (await js.consumer_info(target.stream, target.durable)).config.max_ack_pending
        finally:
            await nc.close()

    async def room() -> int:
        nc = await nats.connect(NATS_URL)
        try:
            return (await nc.jetstream().consumer_info(target.stream, target.durable)).config.max_ack_pending
        finally:
            await nc.close()

    assert asyncio.run(made_before()) == 1000
    events = [
        {**e, "event_id": f"room-{i}", "parcel_id": f"R{i}"} for i, e in enumerate(backlog_scans(clock, 3000))
    ]
    asyncio.run(bus.publish(target, list(enumerate(events, 1)), pack=1))
    stats = asyncio.run(bus.consume(db, clock, target, batch=3000, stop=lambda s: s.idle_polls > 0))
    assert (stats.accepted, stats.batches) == (3000, 1)
    assert asyncio.run(room()) == 3000
