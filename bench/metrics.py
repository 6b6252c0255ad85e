"""What a Prometheus scrape of ``/metrics`` costs the database (issue 13): the figures counted at
scrape time (incidents per level, deadlines breached, events and dead letters, notifications,
print queue) on an empty database, then after loading a peak day's volume of events and dead
letters, in the same run. Prints the median of several scrapes of each and the ratio.

    ./dev bench metrics                                   # SQLite, 1 million events
    ./dev bench metrics --events 200000                   # a quick run
    ./dev bench metrics --database-url postgresql://postgres@127.0.0.1:5432/test

On PostgreSQL it works in a database of its own, made and dropped by the run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from peakguard.db import Database, normalise_url
from peakguard.monitor.models import DeadLetter, MonitorEvent
from peakguard.ops.metrics import DatabaseFigures

CHUNK = 20_000


def scrape_ms(figures: DatabaseFigures, times: int) -> float:
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        families = list(figures.collect())
        runs.append((time.perf_counter() - started) * 1000)
        up = next(f for f in families if f.name == "peakguard_database_up")
        assert up.samples[0].value == 1, "the database could not be read"
    return statistics.median(runs)


def load(db: Database, events: int, dead: int) -> None:
    start = datetime(2026, 11, 11, tzinfo=UTC) - timedelta(hours=8)
    with db.engine.begin() as conn:
        for first in range(0, events, CHUNK):
            conn.execute(
                insert(MonitorEvent),
                [
                    {
                        "event_id": f"e{i}",
                        "type": "scan",
                        "ts": start + timedelta(milliseconds=i),
                        "received_at": start,
                        "subject": f"p{i // 4}",
                        "scope": f"A{i % 50}",
                        "status": "hub_arrived",
                        "payload": {"n": i},
                    }
                    for i in range(first, min(first + CHUNK, events))
                ],
            )
        rows = [
            {
                "received_at": start,
                "source": "bench",
                "line": i,
                "raw": "{}",
                "reason": "bad",
                "digest": "0" * 32,
            }
            for i in range(dead)
        ]
        if rows:
            conn.execute(insert(DeadLetter), rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dead-letters", type=int, default=20_000)
    parser.add_argument("--scrapes", type=int, default=7)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server to use (default: a SQLite file)"
    )
    args = parser.parse_args()

    cleanup = None
    if args.database_url:
        base = make_url(normalise_url(args.database_url))
        name = f"peakguard_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)

        def cleanup() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    db = Database(url)
    try:
        db.upgrade()
        figures = DatabaseFigures(db)
        empty = scrape_ms(figures, args.scrapes)
        started = time.perf_counter()
        load(db, args.events, args.dead_letters)
        if db.dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        loaded_s = time.perf_counter() - started
        full = scrape_ms(figures, args.scrapes)
    finally:
        db.dispose()
        if cleanup:
            cleanup()
    print(f"database            {db.dialect}")
    print(
        f"loaded              {args.events:,} events, {args.dead_letters:,} dead letters in {loaded_s:.1f} s"
    )
    print(f"scrape, empty       {empty:8.2f} ms (median of {args.scrapes})")
    print(f"scrape, loaded      {full:8.2f} ms (median of {args.scrapes})")
    print(f"ratio               {full / empty:8.1f}x the empty database")


if __name__ == "__main__":
    main()
