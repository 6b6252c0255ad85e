"""The stored checkpoint read in bulk (issue 14, S3.3): the one reader behind a bus worker's
take-over and ``peakguard serve``'s live detector gives, partition by partition, the same
parcels as a plain ORM read of ``parcel_state``, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from peakguard.monitor import partitions, service, state_read
from peakguard.monitor.models import ParcelState
from peakguard.monitor.parcels import EXCEPTIONS, STATUSES, ParcelCheckpoint, to_us

T0 = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)
ODD_IDS = ["顺丰SF1234567890", "中通-華南\\分拨", 'quote"d,comma', "back\\slash\\", "ends with space "]


def stored_rows(rng: random.Random) -> list[ParcelState]:
    """Every status, exceptions present and absent, Chinese areas and sites, odd ids, times with
    and without a fraction, before 1970 and far ahead."""
    rows = []
    ids = [*ODD_IDS, *(f"P{i}" for i in range(400))]
    for i, pid in enumerate(ids):
        status = STATUSES[i % len(STATUSES)]
        exception = rng.choice(EXCEPTIONS[1:]) if status == "exception" and i % 4 else None
        ts = T0 - timedelta(microseconds=rng.randrange(10**12)) if i % 3 else T0 - timedelta(hours=i)
        area = rng.choice(["华东-杭州", "LA-1", "LA-2", "华南"])
        rows.append(ParcelState(parcel_id=pid, ts=ts, status=status, area=area, site=f"{area}-站{i % 3}",
                                exception=exception))  # fmt: skip
    rows[7].ts = datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    rows[8].ts = datetime(2100, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    return rows


def orm_checkpoints(session, count: int, delivered: bool) -> dict[int, dict[str, tuple]]:
    """The plain reading: ORM rows, aware datetimes, split by partition in Python."""
    query = select(ParcelState)
    if not delivered:
        query = query.where(ParcelState.status != "delivered")
    out: dict[int, dict[str, tuple]] = {p: {} for p in range(count)}
    for row in session.scalars(query):
        out[partitions.partition_of(row.parcel_id, count)][row.parcel_id] = (
            to_us(row.ts), row.status, row.area, row.site, row.exception
        )
    return out


def contents(checkpoint: ParcelCheckpoint) -> dict[str, tuple]:
    names = checkpoint.names
    return {
        pid: (
            int(checkpoint.ts[code]),
            STATUSES[checkpoint.status[code]],
            names.areas.names[checkpoint.area[code]],
            names.sites.names[checkpoint.site[code]],
            EXCEPTIONS[checkpoint.exception[code]],
        )
        for pid, code in names.parcels.index.items()
    }


@pytest.mark.parametrize("chunk", [state_read.CHUNK, 7])
def test_the_bulk_reader_gives_what_the_orm_reads(db, monkeypatch, chunk):
    monkeypatch.setattr(state_read, "CHUNK", chunk)  # 7: many chunks, the last one short
    with db.transaction() as s:
        s.add_all(stored_rows(random.Random(14)))
    if db.dialect == "sqlite":  # texts SQLAlchemy never writes, which it still reads
        with db.transaction() as s:
            s.execute(text("UPDATE parcel_state SET ts = '2026-11-11 01:02:03' WHERE parcel_id = 'P1'"))
            s.execute(text("UPDATE parcel_state SET ts = '2026-11-11T09:02:03.5+08:00' WHERE parcel_id = 'P2'"))
    with db.reads() as s:
        for delivered in (True, False):
            whole = orm_checkpoints(s, 1, delivered)[0]
            assert any(v[1] == "delivered" for v in whole.values()) is delivered
            assert {None, "lost"} <= {v[4] for v in whole.values()}
            assert contents(service.load_checkpoint(s, delivered)) == whole
            for count in (1, 4):
                expected = orm_checkpoints(s, count, delivered)
                read = partitions.load_checkpoints(s, count, range(count), delivered)
                assert {p: contents(c) for p, c in read.items()} == expected
            read = partitions.load_checkpoints(s, 4, [2], delivered)
            assert read.keys() == {2} and contents(read[2]) == orm_checkpoints(s, 4, delivered)[2]
    if db.dialect == "sqlite":
        assert whole["P1"][0] == to_us(datetime(2026, 11, 11, 1, 2, 3, tzinfo=UTC))
        assert whole["P2"][0] == to_us(datetime(2026, 11, 11, 1, 2, 3, 500_000, tzinfo=UTC))


def test_an_empty_table_gives_empty_checkpoints(db):
    with db.reads() as s:
        assert len(service.load_checkpoint(s)) == 0
        assert [len(c) for c in partitions.load_checkpoints(s, 4, [0, 3]).values()] == [0, 0]
