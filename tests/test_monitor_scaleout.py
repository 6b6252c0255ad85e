"""Scale-out on NATS JetStream (issue 14, S3.3): events partitioned by parcel id, workers that
share the partitions, one incident per kind and area from all partitions, one reporter, and a
worker killed with ``kill -9`` while it consumes whose partitions the others take over within
10 s with nothing lost and nothing counted twice. On the real NATS server (and PostgreSQL for
more than one worker); skipped with the reason when one is not there."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from peakguard.incidents.models import Incident
from peakguard.monitor import bus, partitions
from peakguard.monitor.models import BusPartition, MonitorEvent, PartitionSignal
from tests.factories import count
from tests.test_monitor_bus import NATS_URL, _nats_answers, drop_stream

pytestmark = pytest.mark.skipif(not _nats_answers(), reason=f"no NATS server answers at {NATS_URL}")


def test_a_parcel_always_goes_to_the_same_partition():
    """CRC-32 of the id: the same in every process (Python's own hash is salted per process)."""
    assert partitions.partition_of("P1", 8) == partitions.partition_of(b"P1", 8) == 2864467857 % 8 == 1
    assert partitions.partition_of("anything", 1) == 0
    assert partitions.routing_key(b'{"type": "scan", "parcel_id": "P7"}') == "P7"
    assert partitions.routing_key({"type": "order", "order_id": "O1", "shop": "S"}) == "O1"
    assert partitions.routing_key(b"{not json") == b"{not json"


def day(now: datetime, parcels: int, areas: int) -> tuple[list[dict], Counter[tuple[str, str]]]:
    """Scans of ``parcels`` parcels (two each): a third backlogged 14 h, a third silent 80 h
    (lost), a third delivered; one in 50 robbed at its site. Returns the events and the
    count expected per (kind, area or site)."""
    events, expected = [], Counter()
    for i in range(parcels):
        area, site = f"KA-{i % areas}", f"KA-{i % areas}-HUB"
        kind = ("backlog", "lost", None)[(i // areas) % 3]
        age = {"backlog": 14, "lost": 80, None: 15}[kind]
        first = {"event_id": f"k{i}-a", "type": "scan", "parcel_id": f"KP{i}", "status": "picked_up",
                 "ts": (now - timedelta(hours=age + 2)).isoformat(), "area": area, "site": site}  # fmt: skip
        last = {**first, "event_id": f"k{i}-b", "ts": (now - timedelta(hours=age)).isoformat(),
                "status": "delivered" if kind is None else "hub_arrived"}  # fmt: skip
        if i % 50 == 7:
            last.update(status="exception", exception="robbed")
            kind, area = "robbery_theft", site
        events += [first, last]
        if kind is not None:
            expected[(kind, area)] += 1
    return events, expected


def test_partitions_make_one_incident_per_kind_and_area(db, clock, plan):
    """Four partitions, one worker: every area's parcels are spread over the partitions, and
    the incident counts all of them, once (the partitions' counts summed)."""
    tag = uuid.uuid4().hex[:8]
    target = bus.Bus(NATS_URL, f"part.{tag}", f"PART_{tag}", f"part-{tag}", partitions=4, fetch_timeout=0.2)
    events, expected = day(clock.now(), 300, 3)
    try:
        assert asyncio.run(bus.publish(target, list(enumerate(events, 1)))) == 600
        stats = asyncio.run(bus.consume(db, clock, target, batch=50, stop=lambda s: s.idle_polls > 0))
        assert (stats.accepted, stats.partitions, stats.takeovers) == (600, [0, 1, 2, 3], 4)
        with db.transaction() as s:
            incidents = Counter(
                {
                    (i.kind, i.area): i.count
                    for i in s.scalars(select(Incident).where(Incident.source == "detector"))
                }
            )
            per_partition = s.execute(
                select(PartitionSignal.kind, PartitionSignal.scope, PartitionSignal.partition)
            ).all()
        assert incidents == expected
        assert len({p for _, _, p in per_partition}) == 4  # every partition had some of each area
    finally:
        drop_stream(target.stream)


def test_a_publisher_with_another_partition_count_is_refused(db, clock):
    tag = uuid.uuid4().hex[:8]
    target = bus.Bus(NATS_URL, f"mis.{tag}", f"MIS_{tag}", f"mis-{tag}", partitions=4)
    try:
        asyncio.run(bus.publish(target, [(1, {"event_id": "x"})]))
        with pytest.raises(bus.BusMismatch, match="--partitions"):
            asyncio.run(
                bus.publish(bus.Bus(NATS_URL, target.subject, target.stream), [(1, {"event_id": "y"})])
            )
    finally:
        drop_stream(target.stream)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # more than one worker: PostgreSQL
def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(db_url, db, tmp_path):
    """``peakguard monitor --workers 2`` on four partitions; once events are flowing, the
    worker owning partition 0 is killed with SIGKILL. Its partitions have the other worker as
    owner within 10 s (within 3, in fact), every event is stored once, each partition's progress reaches its last
    message, and each kind and area has one incident with the exact count (its batches that
    were committed but not acknowledged came again and changed nothing)."""
    tag = uuid.uuid4().hex[:8]
    target = bus.Bus(NATS_URL, f"kill.{tag}", f"KILL_{tag}", f"kill-{tag}", partitions=4)
    events, expected = day(datetime.now(UTC), 10_000, 10)
    path = tmp_path / "day.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"}
    common = ["--bus", NATS_URL, "--subject", target.subject, "--stream", target.stream, "--partitions", "4"]
    peakguard = [sys.executable, "-m", "peakguard.cli"]
    try:
        subprocess.run([*peakguard, "publish", str(path), *common], env=env, check=True, capture_output=True)
        monitor = subprocess.Popen(
            [*peakguard, "monitor", *common, "--durable", target.durable, "--workers", "2", "--batch", "100",
             "--until-idle"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        owners = wait_for(
            lambda: owners_once_flowing(db, target.stream, len(events)), 120, "two workers storing"
        )
        victim = owners[0]
        os.kill(int(victim.split(":")[1]), signal.SIGKILL)
        killed_at = time.monotonic()
        stored_at_kill = count(db, MonitorEvent)
        wait_for(lambda: victim not in partition_owners(db, target.stream).values() or None, 10, "takeover")
        taken_in = time.monotonic() - killed_at
        out, err = monitor.communicate(timeout=300)
        assert monitor.returncode == 1, err  # one worker died, and says so
        assert "ended with -9" in err
        assert stored_at_kill < len(events), "everything was stored before the kill: not mid-stream"
        # the survivor sees one worker fewer and takes the partitions at once, not after the grace
        # a partition kept free for a starting worker gets (TAKEOVER_AFTER)
        assert taken_in < bus.TAKEOVER_AFTER, taken_in
        with db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(MonitorEvent)) == len(events)
            incidents = Counter()
            for i in s.scalars(select(Incident).where(Incident.source == "detector")):
                incidents[(i.kind, i.area)] += 1
                assert i.count == expected[(i.kind, i.area)], (i.kind, i.area)
            stored = s.execute(select(BusPartition.partition, BusPartition.sequence)).all()
        assert set(incidents) == set(expected) and set(incidents.values()) == {1}
        assert dict(stored) == asyncio.run(last_sequences(target))
    finally:
        if "monitor" in locals() and monitor.poll() is None:
            monitor.kill()
        drop_stream(target.stream)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_workers_alive_are_counted_by_their_member_locks_only(db):
    """Each worker's leases count it once, whatever else it holds (the reporter's lease, -1,
    reads as 4294967295 in pg_locks and once counted as a second worker, so a lone reporter
    handed half its partitions to nobody); a worker whose connection ends is not counted."""
    stream = f"MEMBERS_{uuid.uuid4().hex[:8]}"
    first = partitions.leases_for(db, stream)
    try:
        assert first.acquire(partitions.REPORTER) and first.acquire(0) and first.acquire(3)
        assert first.members() == 1
        second = partitions.leases_for(db, stream)
        assert (first.members(), second.members()) == (2, 2)
        other = partitions.leases_for(db, f"{stream}_OTHER")  # another stream's workers: not these
        assert first.members() == 2
        second.close()
        other.close()
        # the server ends a closed connection's session (and its locks) a moment later
        wait_for(lambda: first.members() == 1, 10, "the closed worker's member lock gone")
    finally:
        first.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # two workers: PostgreSQL
def test_a_worker_started_later_gets_its_share_of_the_partitions(db, clock):
    """One worker alone takes all four partitions; a second one started later gets two of
    them within 10 s, handed over between batches, and the events published before, during
    and after are each stored once, with one incident per kind and area at the exact count."""
    tag = uuid.uuid4().hex[:8]
    target = bus.Bus(NATS_URL, f"late.{tag}", f"LATE_{tag}", f"late-{tag}", partitions=4, fetch_timeout=0.2)
    events, expected = day(clock.now(), 600, 3)
    done = False

    def owners() -> Counter[str]:
        return Counter(partition_owners(db, target.stream).values())

    async def until(probe, seconds: float, what: str):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if await asyncio.to_thread(probe):
                return time.monotonic()
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {what} within {seconds} s")

    async def scenario() -> tuple[bus.ConsumeStats, bus.ConsumeStats, float]:
        await bus.publish(target, list(enumerate(events[:400], 1)), pack=20)
        first = asyncio.create_task(bus.consume(db, clock, target, batch=50, stop=lambda s: done))
        await until(lambda: list(owners().values()) == [4], 30, "first worker owning all four")
        await bus.publish(target, list(enumerate(events[400:800], 401)), pack=20)
        started = time.monotonic()
        second = asyncio.create_task(bus.consume(db, clock, target, batch=50, stop=lambda s: done))
        shared = await until(lambda: sorted(owners().values()) == [2, 2], 10, "two workers with two each")
        await bus.publish(target, list(enumerate(events[800:], 801)), pack=20)
        await until(lambda: count(db, MonitorEvent) == len(events), 60, "every event stored")
        nonlocal done
        done = True
        return await first, await second, shared - started

    try:
        a, b, taken_in = asyncio.run(scenario())
        assert taken_in < 10 and (len(a.partitions), len(b.partitions)) == (2, 2)
        assert a.accepted + b.accepted == len(events) == count(db, MonitorEvent)
        with db.transaction() as s:
            incidents = Counter()
            for i in s.scalars(select(Incident).where(Incident.source == "detector")):
                incidents[(i.kind, i.area)] += 1
                assert i.count == expected[(i.kind, i.area)], (i.kind, i.area)
        assert set(incidents) == set(expected) and set(incidents.values()) == {1}
    finally:
        drop_stream(target.stream)


def partition_owners(db, stream: str) -> dict[int, str]:
    with db.transaction() as s:
        rows = s.execute(
            select(BusPartition.partition, BusPartition.owner).where(BusPartition.stream == stream)
        )
        return dict(rows.all())


def owners_once_flowing(db, stream: str, total: int) -> list[str] | None:
    """The owners, partition 0's first, once two workers own all four and events are stored."""
    owners = partition_owners(db, stream)
    stored = count(db, MonitorEvent)
    if len(owners) == 4 and len(set(owners.values())) == 2 and 2000 <= stored < total:
        return [owners[0], *(o for o in set(owners.values()) if o != owners[0])]
    return None


def wait_for(probe, seconds: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {seconds} s")


async def last_sequences(target: bus.Bus) -> dict[int, int]:
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        return {
            n: (await js.get_last_msg(target.stream, target.subject_of(n))).seq
            for n in range(target.partitions)
        }
    finally:
        await nc.close()
