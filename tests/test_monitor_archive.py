"""Raw events older than the retention move to Parquet per UTC day (issue 14, S3.3): nothing
is lost or doubled, a second run changes nothing, detection state stays, and the command runs
as the README shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import polars as pl
from sqlalchemy import func, select

from peakguard.monitor import service
from peakguard.monitor.archive import archive
from peakguard.monitor.models import MonitorEvent, ParcelState
from tests.factories import ADMIN
from tests.test_monitor_ingest import scan


def events_in_db(db) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(MonitorEvent)) or 0)


def test_old_events_go_to_one_parquet_file_a_day_and_a_rerun_changes_nothing(db, clock, tmp_path):
    now = clock.now()
    rows = [scan(i, f"P{i}", now - timedelta(days=days)) for i, days in enumerate([10, 10, 9, 1, 0])]
    with db.transaction() as s:
        service.ingest(s, ADMIN, now, list(enumerate(rows, 1)), "t")
    moved = archive(db, now, 7, tmp_path)
    assert sorted((m.day, m.events) for m in moved) == [
        (f"{now - timedelta(days=10):%Y-%m-%d}", 2),
        (f"{now - timedelta(days=9):%Y-%m-%d}", 1),
    ]
    assert events_in_db(db) == 2
    files = sorted(tmp_path.glob("events-*.parquet"))
    stored = pl.concat([pl.read_parquet(f) for f in files])
    assert sorted(stored["event_id"].to_list()) == ["s0", "s1", "s2"]
    assert archive(db, now, 7, tmp_path) == []  # nothing older is left
    with db.transaction() as s:  # detection state is not the raw events'
        assert s.scalar(select(func.count()).select_from(ParcelState)) == 5
    with db.transaction() as s:  # an archived event sent again is stored again ...
        assert service.ingest(s, ADMIN, now, [(1, rows[0])], "t").accepted == 1
    archive(db, now, 7, tmp_path)  # ... and merged back into its day's file once
    assert sorted(pl.read_parquet(files[0])["event_id"].to_list()) == ["s0", "s1"]


def test_events_archive_cli(db_url, clock, tmp_path):
    with_old = [scan(1, "P1", clock.now() - timedelta(days=30))]
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"}
    from peakguard.db import Database

    db = Database(db_url)
    try:
        with db.transaction() as s:
            service.ingest(s, ADMIN, clock.now(), list(enumerate(with_old, 1)), "t")
    finally:
        db.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "events", "archive", "--out", str(tmp_path / "archive")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    assert "archived 1 events older than 7 days" in out
    day = f"{clock.now() - timedelta(days=30):%Y-%m-%d}"
    assert f"{day}: 1 events -> " in out
    # the progress bar, over the days from the event's to the retention's (the command's clock
    # is the real one, the event's the test's): all of them done
    bar = re.search(r"archive .* (\d+)/(\d+) days", done.stderr)
    assert bar is not None and bar[1] == bar[2] and int(bar[1]) >= 23, done.stderr
    assert len(list((tmp_path / "archive").glob("events-*.parquet"))) == 1
