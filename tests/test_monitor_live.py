"""The live detector in ``peakguard serve`` keeps its checkpoint in memory and folds only what
arrived since its last round (issue 14, S3.3): its signals equal a full re-read of
``parcel_state`` after every round, a restart rebuilds it, and on PostgreSQL an event committed
late by a transaction that took its ids earlier is still folded in."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from peakguard.db import Database
from peakguard.monitor import live, service
from peakguard.monitor.models import ParcelState
from tests.factories import ADMIN
from tests.test_monitor_ingest import scan


def full_reread(db, now, plan):
    with db.transaction() as s:
        return service.load_checkpoint(s).signals(now, plan)


def in_memory(db, now, plan):
    checkpoint = live.detector_for(db).checkpoint
    assert checkpoint is not None
    return checkpoint.signals(now, plan)


def ingest(db, clock, rows):
    with db.transaction() as s:
        return service.ingest(s, ADMIN, clock.now(), list(enumerate(rows, 1)), "live-test")


def test_each_round_folds_only_the_new_scans_and_matches_a_full_reread(db, clock, plan):
    rng = random.Random(3)
    old = clock.now() - timedelta(hours=13)
    live.detection_job(db, clock.now())  # the start: empty
    n = 0
    for _round in range(6):
        rows = []
        for _ in range(rng.randrange(1, 60)):
            n += 1
            status = rng.choice(["hub_arrived", "hub_departed", "delivered"])
            rows.append(scan(n, f"P{rng.randrange(80)}", old + timedelta(minutes=rng.randrange(90)), status=status,
                             area=f"A{rng.randrange(3)}"))  # fmt: skip
        ingest(db, clock, rows + rows[:3])  # a few replays inside the batch
        live.detection_job(db, clock.now())
        assert in_memory(db, clock.now(), plan) == full_reread(db, clock.now(), plan)
    restarted = Database(db.url)
    try:
        assert live.detection_job(restarted, clock.now()) == []  # rebuilt: nothing new to report
        assert in_memory(restarted, clock.now(), plan) == full_reread(db, clock.now(), plan)
    finally:
        restarted.dispose()


def test_an_event_committed_after_a_later_one_is_still_folded_in(db, clock, plan, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: ids become visible in order, no gap can occur")
    old = clock.now() - timedelta(hours=13)
    live.detection_job(db, clock.now())
    slow = db.sessions()  # takes its ids first, commits last
    service.ingest(slow, ADMIN, clock.now(), list(enumerate([scan(1, "SLOW", old, area="A9")], 1)), "slow")
    ingest(db, clock, [scan(2, "FAST", old, area="A9")])
    live.detection_job(db, clock.now())
    assert [s.ids for s in in_memory(db, clock.now(), plan) if s.scope == "A9"] == [("FAST",)]
    slow.commit()
    slow.close()
    live.detection_job(db, clock.now())
    assert [s.ids for s in in_memory(db, clock.now(), plan) if s.scope == "A9"] == [("FAST", "SLOW")]
    with db.transaction() as s:
        assert s.scalar(select(ParcelState.status).where(ParcelState.parcel_id == "SLOW")) == "hub_arrived"
    assert in_memory(db, clock.now(), plan) == full_reread(db, clock.now(), plan)


def test_gap_bookkeeping():
    gaps = live._missing(10, [11, 14, 15, 19], since=0.0)
    assert [(g.low, g.high) for g in gaps] == [(12, 13), (16, 18)]
    left = live._refill(gaps, [13, 16, 18])
    assert [(g.low, g.high) for g in left] == [(12, 12), (17, 17)]
