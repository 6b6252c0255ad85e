"""Partitions of the event bus by parcel id, who owns each, and their counts (issue 14, S3.3).

Events go to ``<subject>.p.<n>`` where ``n`` is a stable hash of the parcel id (the order id,
the shop for other events), so one parcel's scans stay in one partition and in order there.
A worker owns a partition while it holds its *lease*: a PostgreSQL advisory lock on a
connection of its own, which the server lets go the moment that connection dies (a worker
killed with ``kill -9`` included), so another worker can take the partition over. On SQLite
there is one process anyway, and the lease is a lock inside it.

Owning is also written down (``bus_partitions.owner``), and every write a worker makes for a
partition checks it in the same transaction: a worker that lost its lease without noticing
(its lease connection cut) cannot write over the new owner's state, it gets
:class:`LostPartition` and drops the partition.

Each partition's counts per kind and area are stored (``partition_signals``) by its owner; the
one reporter (also a lease) sums them into one signal per kind and area, with the
longest-silent parcels of all partitions, for the incident engine.
"""

from __future__ import annotations

import heapq
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import msgspec
import numpy as np
from sqlalchemy import Connection, case, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from peakguard.db import Database
from peakguard.monitor.events import Rejected
from peakguard.monitor.models import BusPartition, PartitionSignal
from peakguard.monitor.parcels import ParcelCheckpoint
from peakguard.monitor.signals import Signal
from peakguard.monitor.state_read import scan_frames
from peakguard.plan.schemas import Plan
from peakguard.plan.service import level_for

MAX_OLDEST = 100
"""Longest-silent parcels kept per partition and signal: the incident lists this many."""
REPORTER = -1
"""The lease number of the reporter (partitions are 0 and up)."""
MEMBERS = 1 << 20
"""Lease numbers from here up say which workers are alive on a stream, one each (partitions
stop well below: ``--partitions`` is at most 1,024)."""
MAX_MEMBERS = 4096
COUNT_SETTLE = 5.0
"""Seconds an incident's count may wait while it keeps changing at the same level: during a
flood every batch moves some area's count, and updating the incident (its timeline, audit and
notifications) for each one cost the consumer most of its time. A new incident and a change of
level are reported at once."""


class LostPartition(Exception):
    """This worker no longer owns the partition: another took it over."""


def partition_of(key: str | bytes, partitions: int) -> int:
    """A stable partition for a key: CRC-32, the same in every process and language."""
    if partitions <= 1:
        return 0
    data = key.encode("utf-8") if isinstance(key, str) else key
    return zlib.crc32(data) % partitions


class _Keys(msgspec.Struct):
    parcel_id: Any = None
    order_id: Any = None
    shop: Any = None


_KEYS = msgspec.json.Decoder(_Keys)


def routing_key(row: Any) -> str | bytes:
    """What an event is partitioned by: the parcel id of a scan, the order id of an order, the
    shop of shop metrics; a row that is none of these (it will be dead-lettered) by its text."""
    if isinstance(row, bytes):
        try:
            keys = _KEYS.decode(row)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return row
        found = keys.parcel_id or keys.order_id or keys.shop
    elif isinstance(row, dict):
        found = row.get("parcel_id") or row.get("order_id") or row.get("shop")
    else:
        return row.raw if isinstance(row, Rejected) else repr(row)
    return found if isinstance(found, str) else repr(row)


# --- leases ------------------------------------------------------------------------------------


class Leases(Protocol):
    """The leases one worker holds on one stream: partitions and the reporter's."""

    def acquire(self, number: int) -> bool: ...

    def release(self, number: int) -> None: ...

    def alive(self) -> bool:
        """Whether the leases held are still held (the lease connection still answers)."""
        ...

    def members(self) -> int:
        """Workers alive on the stream now, this one included."""
        ...

    def close(self) -> None: ...


class AdvisoryLeases:
    """PostgreSQL session advisory locks ``(crc32(stream), number)`` on a connection of their
    own: held until released or until the connection ends, however the process ends. A worker
    also holds one member lock (:data:`MEMBERS` and up) while it lives, so the others can count
    the workers alive (``pg_locks``) without a heartbeat. (``pg_locks`` shows the second key as
    an unsigned ``oid``: the reporter's -1 is 4294967295, so members are counted in their range,
    not from :data:`MEMBERS` up.)"""

    def __init__(self, db: Database, stream: str) -> None:
        self._space = zlib.crc32(stream.encode("utf-8")) - 2**31  # the lock's int4 key
        self._conn: Connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._conn.detach()  # never back to the pool: closing it must end the session
        self._lock = threading.Lock()
        if not any(self.acquire(MEMBERS + slot) for slot in range(MAX_MEMBERS)):
            raise RuntimeError(f"more than {MAX_MEMBERS} workers on stream {stream}")

    def members(self) -> int:
        with self._lock:
            found = self._conn.exec_driver_sql(
                """SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                   WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted
                     AND l.objsubid = 2 AND l.classid::bigint = %(space)s
                     AND l.objid::bigint BETWEEN %(first)s AND %(last)s""",
                {"space": self._space % 2**32, "first": MEMBERS, "last": MEMBERS + MAX_MEMBERS - 1},
            ).scalar()
            return max(int(found or 0), 1)

    def acquire(self, number: int) -> bool:
        with self._lock:
            got = self._conn.exec_driver_sql(
                "SELECT pg_try_advisory_lock(%(space)s, %(number)s)", {"space": self._space, "number": number}
            ).scalar()
            return bool(got)

    def release(self, number: int) -> None:
        with self._lock:
            self._conn.exec_driver_sql(
                "SELECT pg_advisory_unlock(%(space)s, %(number)s)", {"space": self._space, "number": number}
            )

    def alive(self) -> bool:
        try:
            with self._lock:
                self._conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def close(self) -> None:
        try:
            self._conn.close()  # ends the session: every lock it held goes with it
        except Exception:
            self._conn.invalidate()


_LOCAL_HELD: set[tuple[str, str, int]] = set()
_LOCAL_MEMBERS: dict[tuple[str, str], int] = {}
_LOCAL_LOCK = threading.Lock()


class LocalLeases:
    """Leases inside this process (SQLite has one writer, so one consuming process)."""

    def __init__(self, db: Database, stream: str) -> None:
        self._prefix = (str(db.engine.url), stream)
        self._mine: set[int] = set()
        with _LOCAL_LOCK:
            _LOCAL_MEMBERS[self._prefix] = _LOCAL_MEMBERS.get(self._prefix, 0) + 1

    def acquire(self, number: int) -> bool:
        key = (*self._prefix, number)
        with _LOCAL_LOCK:
            if key in _LOCAL_HELD:
                return number in self._mine
            _LOCAL_HELD.add(key)
            self._mine.add(number)
            return True

    def release(self, number: int) -> None:
        with _LOCAL_LOCK:
            if number in self._mine:
                self._mine.discard(number)
                _LOCAL_HELD.discard((*self._prefix, number))

    def alive(self) -> bool:
        return True

    def members(self) -> int:
        with _LOCAL_LOCK:
            return _LOCAL_MEMBERS.get(self._prefix, 1)

    def close(self) -> None:
        for number in list(self._mine):
            self.release(number)
        with _LOCAL_LOCK:
            _LOCAL_MEMBERS[self._prefix] = max(_LOCAL_MEMBERS.get(self._prefix, 1) - 1, 0)


def leases_for(db: Database, stream: str) -> Leases:
    return AdvisoryLeases(db, stream) if db.dialect == "postgresql" else LocalLeases(db, stream)


# --- ownership and progress --------------------------------------------------------------------


def take_over(session: Session, stream: str, partition: int, owner: str, now: datetime) -> int:
    """Write this worker down as the partition's owner (fencing the one before); return the
    stream sequence its state is stored up to."""
    row = session.get(BusPartition, (stream, partition), with_for_update=True)
    if row is None:
        row = BusPartition(stream=stream, partition=partition, sequence=0, owner=owner, taken_at=now,
                           counts_version=0)  # fmt: skip
        session.add(row)
    else:
        row.owner, row.taken_at = owner, now
    session.flush()
    return row.sequence


def advance(session: Session, stream: str, partition: int, owner: str, sequence: int) -> None:
    """Record the partition's progress in the transaction that stored it, if still the owner."""
    done = session.execute(
        update(BusPartition)
        .where(
            BusPartition.stream == stream, BusPartition.partition == partition, BusPartition.owner == owner
        )
        .values(sequence=case((BusPartition.sequence < sequence, sequence), else_=BusPartition.sequence))
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise LostPartition(partition)


def load_checkpoints(
    session: Session, partitions: int, wanted: Iterable[int], delivered: bool = True
) -> dict[int, ParcelCheckpoint]:
    """Each wanted partition's parcels from ``parcel_state`` (all, or those not delivered), as
    its own checkpoint; with one partition, every parcel in each. One pass over the table for
    all of them (:func:`peakguard.monitor.state_read.scan_frames`), and the one reader of the
    stored checkpoint: a bus worker's take-over and ``peakguard serve``'s live detector
    (:func:`peakguard.monitor.service.load_checkpoint`) start from it (issue 14, S3.3)."""
    out = {p: ParcelCheckpoint() for p in wanted}
    for frame in scan_frames(session, delivered):
        if partitions > 1:
            ids = frame["parcel_id"].to_list()
            owner = np.fromiter((partition_of(i, partitions) for i in ids), np.int64, len(ids))
        for p, checkpoint in out.items():
            mine = frame if partitions <= 1 else frame.filter(owner == p)
            checkpoint.update(checkpoint.names.encode_frame(mine))
    return out


# --- counts ------------------------------------------------------------------------------------

Counts = dict[tuple[str, str], tuple[int, list[list[Any]]]]
"""(kind, scope) -> (count, [[µs, id], ...] longest silent first)."""


def partition_counts(checkpoint: ParcelCheckpoint, now: datetime, plan: Plan) -> Counts:
    """The partition's parcel signals as counts with their longest-silent parcels."""
    index, stamps = checkpoint.names.parcels.index, checkpoint.ts
    out: Counts = {}
    for signal in checkpoint.signals(now, plan):
        oldest = [[int(stamps[index[i]]), i] for i in signal.ids[:MAX_OLDEST]]
        out[(signal.kind, signal.scope)] = (signal.count, oldest)
    return out


def write_counts(
    session: Session, stream: str, partition: int, owner: str, counts: Counts, before: Counts | None
) -> None:
    """Replace the partition's stored counts that changed since ``before`` (all of them when
    ``before`` is None: a new owner's first write), if still the owner."""
    done = session.execute(
        update(BusPartition)
        .where(
            BusPartition.stream == stream, BusPartition.partition == partition, BusPartition.owner == owner
        )
        .values(counts_version=BusPartition.counts_version + 1)
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise LostPartition(partition)
    mine = (PartitionSignal.stream == stream, PartitionSignal.partition == partition)
    if before is None:
        session.execute(delete(PartitionSignal).where(*mine))
        before = {}
    changed = [key for key in before if counts.get(key) != before[key]]
    if changed:
        keys = tuple_(PartitionSignal.kind, PartitionSignal.scope)
        session.execute(delete(PartitionSignal).where(*mine, keys.in_(changed)))
    rows = [
        {
            "stream": stream,
            "partition": partition,
            "kind": kind,
            "scope": scope,
            "count": count,
            "oldest": oldest,
        }
        for (kind, scope), (count, oldest) in counts.items()
        if before.get((kind, scope)) != (count, oldest)
    ]
    if rows:
        session.execute(insert(PartitionSignal), rows)


@dataclass
class Combiner:
    """The reporter's view of every partition's counts, re-read only where a partition moved."""

    stream: str
    versions: dict[int, int] = field(default_factory=dict)
    counts: dict[int, Counts] = field(default_factory=dict)

    def refresh(self, session: Session) -> bool:
        """Re-read the partitions whose counts changed; whether any did."""
        now = dict(
            session.execute(
                select(BusPartition.partition, BusPartition.counts_version).where(
                    BusPartition.stream == self.stream
                )
            ).all()
        )
        moved = [p for p, v in now.items() if self.versions.get(p) != v]
        if not moved:
            return False
        rows = session.execute(
            select(PartitionSignal.partition, PartitionSignal.kind, PartitionSignal.scope, PartitionSignal.count,
                   PartitionSignal.oldest)
            .where(PartitionSignal.stream == self.stream, PartitionSignal.partition.in_(moved))
        ).all()  # fmt: skip
        fresh: dict[int, Counts] = {p: {} for p in moved}
        for p, kind, scope, count, oldest in rows:
            fresh[p][(kind, scope)] = (count, oldest)
        self.counts.update(fresh)
        self.versions.update({p: now[p] for p in moved})
        return True

    def signals(self, plan: Plan) -> list[Signal]:
        """One signal per kind and area (or site): the partitions' counts summed, its ids the
        longest silent of all (equal times by id), as one checkpoint of every parcel gives."""
        summed: dict[tuple[str, str], tuple[int, list[Sequence[list[Any]]]]] = {}
        for counts in self.counts.values():
            for key, (count, oldest) in counts.items():
                total, lists = summed.get(key, (0, []))
                summed[key] = (total + count, [*lists, oldest])
        out = []
        for (kind, scope), (count, lists) in sorted(summed.items()):
            merged = heapq.merge(*(map(tuple, o) for o in lists))
            ids = tuple(str(i) for _, i in (next(merged) for _ in range(min(MAX_OLDEST, count))))
            out.append(
                Signal(kind=kind, scope=scope, count=count, level=level_for(plan, kind, count), ids=ids)
            )
        return out


class Pacer:
    """Holds back count changes at the same level for :data:`COUNT_SETTLE` seconds since the
    signal's last report; everything else (new signals, level changes, unchanged counts, which
    the report compares with what it stored) passes."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, str], tuple[int, str, float]] = {}

    def due(self, signals: Iterable[Signal], final: bool = False) -> list[Signal]:
        now, out = time.monotonic(), []
        for signal in signals:
            key = (signal.kind, signal.scope)
            prev = self.sent.get(key)
            changed = prev is None or (signal.count, signal.level) != prev[:2]
            settling = prev is not None and signal.level == prev[1] and now - prev[2] < COUNT_SETTLE
            if changed and settling and not final:
                continue
            if changed:
                self.sent[key] = (signal.count, signal.level, now)
            out.append(signal)
        return out
