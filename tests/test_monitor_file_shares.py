"""A file loaded by several processes at once, each the events of its own parcels, orders and
shops (issue 14, S3.3): the stored state is exactly the single load's (the newer scan wins, a
later row wins a tie, an order's creation time, status and coupon flag), dead letters keep
their lines, progress counts every row once, a replay changes nothing, and a share that fails
is an error naming it while what the others committed stays."""

from __future__ import annotations

import json
import os
import random
import signal

import pytest
from sqlalchemy import select

from peakguard.monitor import file_shares, service
from peakguard.monitor.models import DeadLetter, MonitorEvent, OrderState, ParcelState
from tests.factories import ADMIN, count
from tests.test_monitor_bulk import random_events, replay
from tests.test_monitor_ingest import scan


def day_file(tmp_path, clock):
    rng = random.Random(23)
    base = clock.now()
    events = random_events(rng, base, 900, parcels=90, orders=50, minutes=40, scans=0.75, sites=5)
    events += rng.sample(events, 60)  # replays later in the file
    lines = [json.dumps({**e, "ts": e["ts"].isoformat()}) for e in events]
    bad = {17: "{broken json", 400: "[1, 2]", 733: json.dumps({**scan(9999, "P1", base), "status": "teleported"})}
    for at, text in bad.items():
        lines.insert(at - 1, text)
    path = tmp_path / "day.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, events, sorted(bad), len(lines)


@pytest.mark.parametrize(("shares", "batch"), [(1, 50), (1, 400), (2, 50), (3, 50)])
def test_shares_store_exactly_what_one_load_stores(shares, batch, db, clock, tmp_path):
    """Batches of 400 rows and shares of the file (each share's batches spanning more of it)
    put several events of an order in one batch: the order's state is still the one folding
    its events one by one gives."""
    path, events, bad_lines, lines = day_file(tmp_path, clock)
    parcels, orders = replay(events)
    reported: list[int] = []
    first = service.ingest_file(db, ADMIN, path, clock, on_batch=reported.append, batch_size=batch, shares=shares)
    assert sum(reported) == lines  # every row counted once, whichever share read it
    assert (first.accepted, first.duplicates) == (900, 60)
    assert [bad.line for bad in first.rejected] == bad_lines
    with db.transaction() as s:
        stored = {p.parcel_id: (p.ts, p.status, p.area) for p in s.scalars(select(ParcelState))}
        stored_orders = {
            o.order_id: {"created": o.created_at, "ts": o.ts, "status": o.status, "coupon": o.coupon_error}
            for o in s.scalars(select(OrderState))
        }
        dead = sorted(s.scalars(select(DeadLetter.line)).all())
    assert stored == parcels
    assert stored_orders == orders
    assert dead == bad_lines
    again = service.ingest_file(db, ADMIN, path, clock, batch_size=70, shares=2)
    assert (again.accepted, again.duplicates, count(db, MonitorEvent), count(db, DeadLetter)) == (0, 960, 900, 3)


def test_a_rows_share_follows_its_key_whatever_the_format():
    """A line's bytes and the same row decoded (CSV, Parquet) go to the same share; a row
    without a readable key goes to share 0, which dead-letters it."""
    rows = [{"event_id": f"e{i}", "type": "scan", "parcel_id": f"包裹{i}"} for i in range(40)]
    rows += [{"event_id": "o", "type": "order", "order_id": "O7"}, {"event_id": "m", "shop": "店"}]
    for row in rows:
        share = file_shares.share_of(json.dumps(row, ensure_ascii=False).encode(), 3)
        assert share == file_shares.share_of(row, 3)
    assert {file_shares.share_of(json.dumps(r).encode(), 3) for r in rows} == {0, 1, 2}
    for unreadable in (b"{broken", b"[1, 2]", b'{"parcel_id": {"x": 1}}', b"{}"):
        assert file_shares.share_of(unreadable, 3) == 0


def test_a_failing_share_is_an_error_naming_it_and_the_others_commits_stay(db, clock, tmp_path):
    path, _events, _bad, _lines = day_file(tmp_path, clock)
    parent = os.getpid()

    def load(share_db, rows, report):
        if os.getpid() != parent:
            raise ConnectionError("the database went away")
        with share_db.transaction() as s:
            return service.ingest(s, ADMIN, clock.now(), list(rows), source=str(path)).accepted

    with pytest.raises(file_shares.ShareFailed, match="share 1 of 2 failed: ConnectionError: the database went away"):
        file_shares.load_in_shares(db, path, 2, load, None)
    assert 0 < count(db, MonitorEvent) < 900  # share 0's events, committed


def test_a_share_killed_without_a_word_is_named_by_its_exit(db, clock, tmp_path):
    """A forked share killed (SIGKILL) before it reports: the load ends, naming the share and
    its exit, instead of waiting for a result that will never come."""
    path, _events, _bad, _lines = day_file(tmp_path, clock)
    parent = os.getpid()

    def load(share_db, rows, report):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return sum(1 for _ in rows)

    with pytest.raises(file_shares.ShareFailed, match="share 1 of 2 failed: exited with code -9 before reporting"):
        file_shares.load_in_shares(db, path, 2, load, None)
