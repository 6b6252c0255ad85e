"""`peakguard backup` and `peakguard restore` (issue 13): a backup restored brings back exactly the
rows per table it was made with, on SQLite (online backup API, while another connection keeps
writing) and on PostgreSQL (pg_dump / pg_restore); a file that is not a backup changes nothing."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from peakguard.audit.service import record
from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.incidents import reporting
from peakguard.monitor.service import ingest
from peakguard.ops import backup as ops
from peakguard.plan.schemas import Plan
from tests.factories import ADMIN
from tests.test_cli import run


def _fill(db: Database, clock: FrozenClock, plan: Plan, tag: str) -> None:
    now = clock.now()
    scans = [
        {
            "type": "scan",
            "event_id": f"{tag}-{i}",
            "ts": (now - timedelta(minutes=i)).isoformat(),
            "parcel_id": f"{tag}-p{i}",
            "status": "hub_arrived",
            "area": f"{tag}-A",
            "site": "S",
        }
        for i in range(30)
    ]
    with db.transaction() as s:
        reporting.report(s, ADMIN, now, kind="backlog", area=f"{tag}-A", count=25, plan=plan)
        ingest(s, ADMIN, now, enumerate([*scans, {"type": "scan", "event_id": tag}], 1), source=tag)


def test_a_restored_backup_has_the_rows_it_was_made_with(
    db_url: str, db: Database, clock: FrozenClock, plan: Plan, tmp_path: Path
) -> None:
    _fill(db, clock, plan, "before")
    made_with = ops.table_counts(db_url)
    file = tmp_path / "peakguard.backup"
    done = run(db_url, "backup", str(file))
    assert f"to {file}" in done.stdout and file.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))
    again = run(db_url, "backup", str(file), check=False)
    assert again.returncode == 2 and "--force" in again.stderr

    _fill(db, clock, plan, "after")
    assert ops.table_counts(db_url) != made_with
    db.dispose()  # the server is stopped for a restore, as the README says
    restored = run(db_url, "restore", str(file), "--yes")
    assert ops.table_counts(db_url) == made_with
    assert f"{sum(made_with.values()):,} rows" in restored.stdout
    assert made_with["monitor_events"] == 30 and made_with["monitor_dead_letters"] == 1


def test_a_file_that_is_not_a_backup_changes_nothing(
    db_url: str, db: Database, clock: FrozenClock, plan: Plan, tmp_path: Path
) -> None:
    _fill(db, clock, plan, "kept")
    before = ops.table_counts(db_url)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    db.dispose()
    refused = run(db_url, "restore", str(junk), "--yes", check=False)
    assert refused.returncode == 2
    assert (
        "not a PeakGuard SQLite database" if db.dialect == "sqlite" else "pg_restore failed"
    ) in refused.stderr
    missing = run(db_url, "restore", str(tmp_path / "nope"), "--yes", check=False)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert ops.table_counts(db_url) == before


def test_a_sqlite_file_without_peakguards_schema_is_refused(tmp_path: Path, sqlite_template: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    live = tmp_path / "live.db"
    live.write_bytes(sqlite_template.read_bytes())
    refused = run(f"sqlite:///{live}", "restore", str(other), "--yes", check=False)
    assert refused.returncode == 2 and "not a PeakGuard SQLite database" in refused.stderr
    assert "restore" not in refused.stderr.split("error")[0]  # no progress bar for a refused file


def test_a_sqlite_backup_is_one_moment_while_another_connection_writes(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clock: FrozenClock
) -> None:
    """The server keeps writing during the backup (WAL: it is never blocked); the copy is one
    consistent moment between the counts before and after, and passes the integrity check."""
    live = tmp_path / "live.db"
    live.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{live}"
    db = Database(url)

    def letters(n: int) -> None:
        with db.transaction() as s:
            for i in range(n):
                record(s, ADMIN, "test.write", "test", i, clock.now(), blob="x" * 2000)

    letters(1000)  # some 500 pages: with one page a step, hundreds of steps to write between
    start = ops.table_counts(url)["audit_log"]
    monkeypatch.setattr(ops, "PAGES_PER_STEP", 1)
    stop, written, steps = threading.Event(), [0], []

    def writer() -> None:
        while not stop.is_set():
            letters(1)
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copy = ops.backup_sqlite(url, tmp_path / "copy.db", lambda done, total: steps.append((done, total)))
    finally:
        stop.set()
        thread.join()
    during = written[0]
    db.dispose()
    assert len(steps) > 100 and during > 0, (len(steps), during)
    assert start <= copy["audit_log"] <= start + during
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == copy["audit_log"]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_print_shows_the_commands_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://peak:s3cret@db.internal:5433/peakguard"
    dump = run(url, "backup", "--print", "nightly.dump").stdout.strip()
    assert dump == (
        "PGPASSWORD=... pg_dump --format=custom --no-owner --no-privileges --file=nightly.dump "
        "--dbname=postgresql://peak@db.internal:5433/peakguard"
    )
    restore = run(url, "restore", "--print", "nightly.dump").stdout.strip()
    assert restore.startswith("PGPASSWORD=... pg_restore --clean --if-exists") and "s3cret" not in restore
    lite = run(f"sqlite:///{tmp_path / 'x.db'}", "backup", "--print", "b.db").stdout.strip()
    assert lite == f"sqlite3 {tmp_path / 'x.db'} '.backup b.db'"
