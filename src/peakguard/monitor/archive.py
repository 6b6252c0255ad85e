"""Raw events older than the plan's retention leave the database for Parquet files, one per UTC
day (issue 14, S3.3): ``peakguard events archive``.

Detection never needs them: parcels are judged on ``parcel_state`` and the shop rules look at
the last ``detection.window_minutes``. Each day is written to a new file next to the day's
existing one (merged with it, one row per ``event_id``), the file is synced and renamed into
place, and only then are the day's rows deleted in one transaction: a crash at any point leaves
every event in the database, the file, or both, and running it again finishes the job.

Idempotency by ``event_id`` holds within the retention: an archived event sent again is stored
again (``parcel_state`` keeps the newer scan, so detection is unchanged) and the next archive
run merges it back into its day's file once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import delete, func, select

from peakguard.db import Database
from peakguard.monitor.models import MonitorEvent

CHUNK = 900
COLUMNS = ("event_id", "type", "ts", "received_at", "subject", "scope", "status", "payload")
SCHEMA = pl.Schema(
    {
        "event_id": pl.String(),
        "type": pl.String(),
        "ts": pl.Datetime("us", "UTC"),
        "received_at": pl.Datetime("us", "UTC"),
        "subject": pl.String(),
        "scope": pl.String(),
        "status": pl.String(),
        "payload": pl.String(),
    }
)


@dataclass(frozen=True)
class Archived:
    day: str
    events: int
    path: Path


def archive(db: Database, now: datetime, keep_days: int, out: Path) -> list[Archived]:
    """Move every event whose time is before midnight UTC ``keep_days`` days ago to
    ``out/events-YYYY-MM-DD.parquet``, day by day."""
    moved = (archive_day(db, day, out) for day in days_to_archive(db, now, keep_days))
    return [day for day in moved if day is not None]


def days_to_archive(db: Database, now: datetime, keep_days: int) -> list[datetime]:
    """The UTC midnights from the oldest stored event's day to the last day before the
    retention (``peakguard events archive`` shows its progress over them)."""
    cutoff = (now - timedelta(days=keep_days)).replace(hour=0, minute=0, second=0, microsecond=0)
    with db.transaction() as session:
        first = session.scalar(select(func.min(MonitorEvent.ts)).where(MonitorEvent.ts < cutoff))
    day = first.replace(hour=0, minute=0, second=0, microsecond=0) if first else cutoff
    return [day + timedelta(days=n) for n in range((cutoff - day).days)]


def archive_day(db: Database, day: datetime, out: Path) -> Archived | None:
    """One UTC day's events to its file, then out of the database (None: the day had none)."""
    out.mkdir(parents=True, exist_ok=True)
    in_day = (MonitorEvent.ts >= day, MonitorEvent.ts < day + timedelta(days=1))
    with db.transaction() as session:
        rows = session.execute(
            select(MonitorEvent.id, *(getattr(MonitorEvent, c) for c in COLUMNS))
            .where(*in_day)
            .order_by(MonitorEvent.id)
        ).all()
        if not rows:
            return None
        frame = pl.DataFrame(
            [(*r[1:8], json.dumps(r[8], ensure_ascii=False, separators=(",", ":"))) for r in rows],
            schema=SCHEMA,
            orient="row",
        )
        path = out / f"events-{day:%Y-%m-%d}.parquet"
        if path.exists():
            frame = pl.concat([pl.read_parquet(path), frame]).unique(
                "event_id", keep="first", maintain_order=True
            )
        partial = path.with_suffix(".parquet.partial")
        frame.write_parquet(partial, compression="zstd")
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        partial.replace(path)
        ids = [r[0] for r in rows]  # exactly the rows written: one arriving meanwhile stays
        for start in range(0, len(ids), CHUNK):
            session.execute(delete(MonitorEvent).where(MonitorEvent.id.in_(ids[start : start + CHUNK])))
    return Archived(f"{day:%Y-%m-%d}", len(rows), path)
