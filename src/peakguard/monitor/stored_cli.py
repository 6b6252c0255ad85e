"""`peakguard chase-list`, `dead-letters` and `events archive`: what the monitor stored. Apart
from :mod:`peakguard.monitor.cli`, whose ingest, detection and bus bring Polars, Numba and NATS
(about a second of start-up), so these one-shot commands do not pay for them (issue 14)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from peakguard.cli_support import console, counting_progress, open_db
from peakguard.clock import SystemClock, parse_iso
from peakguard.monitor import queries
from peakguard.plan.service import current_plan


def register(root: typer.Typer) -> None:
    root.command("chase-list")(chase_list)
    root.command("dead-letters")(dead_letters)
    events_app = typer.Typer(help="Raw events: retention.")
    events_app.command("archive")(archive_events)
    root.add_typer(events_app, name="events")


def chase_list(
    shop: str | None = None, at: str | None = typer.Option(None, help="ISO 8601; default now")
) -> None:
    """S1.8: orders created and still unpaid after the plan's delay, largest first."""
    now = parse_iso(at) if at else SystemClock().now()
    table = Table("order", "shop", "amount", "created")
    with open_db().transaction() as session:
        for o in queries.chase_list(session, now, current_plan(), shop):
            table.add_row(o.order_id, o.shop, str(o.amount), o.created_at.isoformat(timespec="minutes"))
    console.print(table)


def dead_letters() -> None:
    table = Table("id", "received", "source", "line", "reason")
    with open_db().transaction() as session:
        for d in queries.dead_letters(session):
            table.add_row(
                str(d.id), d.received_at.isoformat(timespec="seconds"), d.source, str(d.line), d.reason
            )
    console.print(table)


def archive_events(
    out: Path = typer.Option(Path("archive"), help="folder for the Parquet files, one per day"),
    keep_days: int | None = typer.Option(
        None, min=1, help="days of raw events kept in the database; default the plan's retention_days"
    ),
) -> None:
    """Move raw events older than the retention to Parquet files per UTC day (safe to re-run)."""
    from peakguard.monitor.archive import archive_day, days_to_archive

    days, db = keep_days or current_plan().detection.retention_days, open_db()
    moved = 0
    with counting_progress("archive", "days") as progress:
        due = days_to_archive(db, SystemClock().now(), days)
        task = progress.add_task("archive", total=len(due))
        for day in due:
            done = archive_day(db, day, out)
            if done is not None:
                moved += done.events
                console.print(f"{done.day}: {done.events} events -> {done.path}")
            progress.advance(task)
    console.print(f"archived {moved} events older than {days} days")
