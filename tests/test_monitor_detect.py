"""Parcel detectors at every threshold edge (S3.3): 19/20 backlog, 4/5 lost, 99/100 transit
interrupted, the time edges, a parcel moving from one state to another, Level 1 exceptions."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from peakguard.monitor.offline import detect_file
from peakguard.monitor.parcels import (
    EPOCH,
    EXCEPTIONS,
    STATUSES,
    ParcelCheckpoint,
    parcel_signals,
    scans_frame,
)

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


def scan(pid, ts, status="hub_arrived", area="FZ-01", site="FZ-HUB", exception=None):
    return (pid, ts, status, area, site, exception)


def signals(rows, as_of, plan):
    return {(s.kind, s.scope): (s.count, s.level) for s in parcel_signals(scans_frame(rows), as_of, plan)}


@pytest.mark.parametrize(("n", "level"), [(19, "L3"), (20, "L2")])
def test_backlog_19_and_20(plan, n, level):
    rows = [scan(f"P{i}", T0) for i in range(n)]
    assert signals(rows, T0 + timedelta(hours=12, seconds=1), plan) == {("backlog", "FZ-01"): (n, level)}


def test_backlog_needs_the_last_scan_older_than_12_hours(plan):
    rows = [scan(f"P{i}", T0) for i in range(25)]
    assert signals(rows, T0 + timedelta(hours=12), plan) == {}
    assert signals(rows, T0 + timedelta(hours=12, seconds=1), plan)[("backlog", "FZ-01")] == (25, "L2")


@pytest.mark.parametrize(("n", "level"), [(4, "L3"), (5, "L2")])
def test_lost_4_and_5_by_exception(plan, n, level):
    rows = [scan(f"L{i}", T0, "exception", exception="lost") for i in range(n)]
    assert signals(rows, T0 + timedelta(minutes=1), plan) == {("lost", "FZ-01"): (n, level)}


def test_lost_by_72_hours_of_silence(plan):
    rows = [scan("P1", T0, "out_for_delivery")]
    assert signals(rows, T0 + timedelta(hours=71, minutes=59), plan) == {("backlog", "FZ-01"): (1, "L3")}
    assert signals(rows, T0 + timedelta(hours=72), plan) == {("lost", "FZ-01"): (1, "L3")}


@pytest.mark.parametrize(("n", "level"), [(99, "L3"), (100, "L2")])
def test_transit_interrupted_99_and_100(plan, n, level):
    rows = [scan(f"T{i}", T0, "hub_departed", area="XM-03") for i in range(n)]
    assert signals(rows, T0 + timedelta(hours=6), plan) == {}
    assert signals(rows, T0 + timedelta(hours=6, seconds=1), plan) == {
        ("transit_interrupted", "XM-03"): (n, level)
    }


def test_a_parcel_moves_from_state_to_state(plan):
    """hub_departed: transit interrupted after 6 h (first match wins over backlog at 12 h),
    lost at 72 h; a later delivery scan takes it out of every state."""
    rows = [scan("P1", T0 - timedelta(hours=1), "picked_up"), scan("P1", T0, "hub_departed")]
    assert signals(rows, T0 + timedelta(hours=5), plan) == {}
    assert signals(rows, T0 + timedelta(hours=7), plan) == {("transit_interrupted", "FZ-01"): (1, "L3")}
    assert signals(rows, T0 + timedelta(hours=13), plan) == {("transit_interrupted", "FZ-01"): (1, "L3")}
    assert signals(rows, T0 + timedelta(hours=72), plan) == {("lost", "FZ-01"): (1, "L3")}
    rows.append(scan("P1", T0 + timedelta(hours=80), "delivered", area="FZ-02"))
    assert signals(rows, T0 + timedelta(hours=100), plan) == {}


def test_the_latest_scan_counts_in_its_own_area(plan):
    rows = [scan("P1", T0, area="FZ-01"), scan("P1", T0 + timedelta(hours=1), area="FZ-02")]
    assert signals(rows, T0 + timedelta(hours=14), plan) == {("backlog", "FZ-02"): (1, "L3")}


def test_level_1_exceptions_open_per_site_at_once(plan):
    rows = [
        scan("R1", T0, "exception", site="S-9", exception="robbed"),
        scan("R2", T0, "exception", site="S-9", exception="robbed"),
        scan("W1", T0, "exception", site="S-3", exception="withheld"),
        scan("X1", T0, "exception", site="S-3", exception="prohibited"),
        scan("D1", T0, "exception", site="S-3", exception="damaged"),
    ]
    assert signals(rows, T0 + timedelta(seconds=1), plan) == {
        ("robbery_theft", "S-9"): (2, "L1"),
        ("outlet_withholding", "S-3"): (1, "L1"),
        ("prohibited_item", "S-3"): (1, "L1"),
    }


def _latest_one_by_one(rows):
    """The checkpoint rule replayed a row at a time: a scan at the same time or later wins."""
    latest = {}
    for row in rows:
        if row[0] not in latest or row[1] >= latest[row[0]][1]:
            latest[row[0]] = row
    return latest


@pytest.mark.parametrize("batch", [1, 3, 50, 10_000])
def test_folding_micro_batches_equals_replaying_scan_by_scan(plan, batch):
    """S3.3: the compiled fold keeps exactly the scan a one-by-one replay keeps, ties in time
    included (the later row wins, within a batch and against the checkpoint), whatever the
    batch size; and the signals equal those of the whole set at once."""
    rng = random.Random(batch)
    rows = [
        scan(
            f"P{rng.randrange(40)}",
            T0 + timedelta(hours=rng.randrange(6)),  # few distinct times: many ties
            rng.choice(STATUSES),
            area=f"A{rng.randrange(3)}",
            site=f"S{rng.randrange(3)}",
            exception=rng.choice(EXCEPTIONS),
        )
        for _ in range(600)
    ]
    checkpoint = ParcelCheckpoint()
    for start in range(0, len(rows), batch):
        checkpoint.add(rows[start : start + batch])
    names = checkpoint.names
    kept = {
        names.parcels.names[code]: (
            names.parcels.names[code],
            EPOCH + timedelta(microseconds=int(checkpoint.ts[code])),
            STATUSES[checkpoint.status[code]],
            names.areas.names[checkpoint.area[code]],
            names.sites.names[checkpoint.site[code]],
            EXCEPTIONS[checkpoint.exception[code]],
        )
        for code in range(len(names.parcels))
    }
    assert kept == _latest_one_by_one(rows)
    as_of = T0 + timedelta(hours=20)
    assert checkpoint.signals(as_of, plan) == parcel_signals(scans_frame(rows), as_of, plan)
    assert len(checkpoint) == 40


def test_signal_ids_are_longest_silent_first_and_equal_times_by_id(plan):
    """The first ids an incident shows (S3.3 handling: chase the oldest first) are the parcels
    silent longest; parcels silent since the same moment come in id order, whatever order the
    scans arrived in."""
    rows = [
        scan("P3", T0),
        scan("P1", T0 + timedelta(hours=1)),
        scan("P2", T0),
        scan("P0", T0 + timedelta(hours=2)),
        scan("P9", T0 - timedelta(hours=1), area="FZ-02"),
    ]
    for order in (rows, rows[::-1]):
        found = {s.scope: s.ids for s in parcel_signals(order, T0 + timedelta(hours=15), plan)}
        assert found == {"FZ-01": ("P2", "P3", "P1", "P0"), "FZ-02": ("P9",)}


def test_signal_ids_order_on_many_ties(plan):
    rng = random.Random(7)
    rows = [
        scan(f"P{i}", T0 + timedelta(minutes=rng.randrange(5)), area=f"A{rng.randrange(3)}")
        for i in range(300)
    ]
    rng.shuffle(rows)
    for signal in parcel_signals(rows, T0 + timedelta(hours=13), plan):
        expected = sorted((ts, pid) for pid, ts, _, area, _, _ in rows if area == signal.scope)
        assert signal.ids == tuple(pid for _, pid in expected)


def _ndjson(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _scan_event(i, pid, ts, **kw):
    return {
        "event_id": f"e{i}",
        "type": "scan",
        "parcel_id": pid,
        "ts": ts.isoformat(),
        "status": "hub_arrived",
        "area": "FZ-01",
        "site": "FZ-HUB",
        "exception": None,
        **kw,
    }


def test_offline_detect_cli_prints_signals_with_their_ids(tmp_path, plan):
    path = _ndjson(
        tmp_path / "day.ndjson", [_scan_event(i, f"P{i}", T0) for i in range(20)] + ["not an object"]
    )
    as_of = (T0 + timedelta(hours=13)).isoformat()
    out = subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "detect", str(path), "--as-of", as_of, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    body = json.loads(out.stdout)
    assert [(s["kind"], s["scope"], s["count"], s["level"]) for s in body] == [("backlog", "FZ-01", 20, "L2")]
    assert sorted(body[0]["ids"]) == sorted(f"P{i}" for i in range(20))
    assert "line 21" in out.stderr
    signals_, rejected = detect_file(path, plan, T0 + timedelta(hours=1))
    assert signals_ == [] and len(rejected) == 1
