"""`peakguard ingest`, `detect`, `monitor` and `publish`: the commands that read event files or
the bus. What the monitor stored is read by :mod:`peakguard.monitor.stored_cli`."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from nats.errors import Error as NatsError
from rich.progress import Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from peakguard.cli_support import cli_actor, console, counting_progress, err_console, open_db, print_json
from peakguard.clock import SystemClock, parse_iso
from peakguard.monitor import bus, service
from peakguard.monitor.events import read_file
from peakguard.monitor.offline import detect_file
from peakguard.plan.service import current_plan


def register(root: typer.Typer) -> None:
    root.command("ingest")(ingest)
    root.command("detect")(detect)
    root.command("monitor")(monitor)
    root.command("publish")(publish)


BUS_URL = typer.Option(
    ..., "--bus", envvar="PEAKGUARD_BUS_URL", help="NATS server, e.g. nats://127.0.0.1:4222"
)
SUBJECT = typer.Option(bus.DEFAULT_SUBJECT, help="subject the events are published on")
STREAM = typer.Option(bus.DEFAULT_STREAM, help="JetStream stream holding the subject (created if missing)")
PARTITIONS = typer.Option(
    1,
    min=1,
    max=1024,
    envvar="PEAKGUARD_BUS_PARTITIONS",
    help="partitions by parcel id (subjects SUBJECT.p.N); publishers and workers must agree",
)


def monitor(
    bus_url: str = BUS_URL,
    subject: str = SUBJECT,
    stream: str = STREAM,
    durable: str = typer.Option(bus.DEFAULT_DURABLE, help="durable consumer name: a restart resumes there"),
    batch: int = typer.Option(
        bus.BATCH, min=1, help="events per micro-batch (a fetch takes the messages that hold them)"
    ),
    until_idle: bool = typer.Option(False, "--until-idle", help="stop once the stream has nothing new"),
    partitions: int = PARTITIONS,
    workers: int = typer.Option(
        1, min=1, max=64, help="worker processes sharing the partitions (more than one needs PostgreSQL)"
    ),
    fleet: int | None = typer.Option(
        None,
        min=1,
        help="workers on all hosts together, for each one's share of the partitions; default --workers",
    ),
) -> None:
    """Consume events from NATS JetStream: ingest, detect, then acknowledge, batch by batch."""
    target = bus.Bus(bus_url, subject, stream, durable, partitions=partitions)
    if workers > 1:
        if open_db().dialect != "postgresql":
            err_console.print(
                "[red]error[/red] workers: SQLite has one writer; more than one worker needs PostgreSQL"
            )
            raise typer.Exit(2)
        raise typer.Exit(_run_workers(target, batch, until_idle, workers, fleet or workers))
    columns = (
        TextColumn("[bold]monitor {task.fields[subject]}"),
        TextColumn("{task.completed} messages · {task.fields[events]} events"),
        TextColumn("accepted {task.fields[accepted]} · dup {task.fields[dup]} · dead {task.fields[dead]}"),
        TextColumn("· {task.fields[rate]:,.0f} events/s · {task.fields[pending]} messages waiting"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console) as progress:
        task = progress.add_task(
            "bus", total=None, subject=subject, events=0, accepted=0, dup=0, dead=0, rate=0.0, pending=0
        )

        def shown(stats: bus.ConsumeStats) -> None:
            progress.update(
                task,
                completed=stats.messages,
                events=stats.events,
                accepted=stats.accepted,
                dup=stats.duplicates,
                dead=stats.dead_lettered,
                rate=stats.rate,
                pending=stats.pending,
            )

        try:
            stats = _consume(target, batch, until_idle, fleet or 1, shown)
        except KeyboardInterrupt:
            return
    console.print(_summary(stats))


def _consume(
    target: bus.Bus,
    batch: int,
    until_idle: bool,
    workers: int,
    on_batch: Callable[[bus.ConsumeStats], None] | None = None,
) -> bus.ConsumeStats:
    """One worker until stopped (or, with ``until_idle``, until its partitions have nothing
    new and no partition is left without a worker)."""
    try:
        return asyncio.run(
            bus.consume(
                open_db(),
                SystemClock(),
                target,
                batch=batch,
                workers=workers,
                stop=lambda s: until_idle and s.idle_polls > 0 and s.unowned == 0,
                on_batch=on_batch,
                on_reconnect=lambda exc, pause: err_console.print(
                    f"[yellow]bus connection lost ({type(exc).__name__}); "
                    f"connecting again in {pause:.1f} s[/yellow]"
                ),
                on_takeover=lambda n, seq: err_console.print(
                    f"worker {os.getpid()}: partition {n} (stored up to stream sequence {seq})"
                ),
            )
        )
    except bus.BusMismatch as exc:
        err_console.print(f"[red]error[/red] partitions: {exc}")
        raise typer.Exit(2) from None
    except (OSError, NatsError) as exc:
        err_console.print(f"[red]error[/red] bus: cannot reach NATS at {target.url} ({type(exc).__name__})")
        raise typer.Exit(2) from None


def _summary(stats: bus.ConsumeStats) -> str:
    return (
        f"{stats.messages} messages: accepted {stats.accepted}, duplicates {stats.duplicates}, "
        f"dead-lettered {stats.dead_lettered}; incidents touched {stats.incidents_touched}"
    )


def _run_workers(target: bus.Bus, batch: int, until_idle: bool, workers: int, fleet: int) -> int:
    """Start ``workers`` processes and wait for them. A worker that dies leaves its partitions
    to the others (within seconds: its leases end with its database connection); the exit
    code says that one died."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    children = [
        context.Process(target=_worker_process, args=(target, batch, until_idle, fleet, results))
        for _ in range(workers)
    ]
    for child in children:
        child.start()
        err_console.print(f"worker {child.pid} started")
    try:
        for child in children:
            child.join()
    except KeyboardInterrupt:
        for child in children:
            child.join()
    total = bus.ConsumeStats()
    while not results.empty():
        stats = results.get()
        for name in ("messages", "accepted", "duplicates", "dead_lettered", "incidents_touched"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
    failed = [c for c in children if c.exitcode != 0]
    for child in failed:
        err_console.print(f"[yellow]worker {child.pid} ended with {child.exitcode}[/yellow]")
    console.print(_summary(total) + f" ({workers} workers)")
    return 1 if failed else 0


def _worker_process(target: bus.Bus, batch: int, until_idle: bool, fleet: int, results: Any) -> None:
    """One worker process (``--workers``) of ``fleet``: its stats go back to the parent."""
    with contextlib.suppress(KeyboardInterrupt):
        results.put(_consume(target, batch, until_idle, fleet))


def publish(
    file: Path,
    bus_url: str = BUS_URL,
    subject: str = SUBJECT,
    stream: str = STREAM,
    partitions: int = PARTITIONS,
    pack: int = typer.Option(
        bus.PACK, min=1, help="events of one partition per message, one a line (NDJSON); 1: a message each"
    ),
) -> None:
    """Send an event file (NDJSON, CSV, Parquet; e.g. from `peakguard sim`) to the bus."""
    if not file.exists():
        err_console.print(f"[red]error[/red] file: no such file {file}")
        raise typer.Exit(2)
    target = bus.Bus(bus_url, subject, stream, partitions=partitions)
    try:
        with counting_progress("publish") as progress:
            task = progress.add_task("publish", total=_lines_in(file))
            sent = asyncio.run(
                bus.publish(target, read_file(file), pack, on_sent=lambda n: progress.advance(task, n))
            )
    except bus.BusMismatch as exc:
        err_console.print(f"[red]error[/red] partitions: {exc}")
        raise typer.Exit(2) from None
    except (OSError, NatsError) as exc:
        err_console.print(f"[red]error[/red] bus: cannot reach NATS at {bus_url} ({type(exc).__name__})")
        raise typer.Exit(2) from None
    console.print(f"published {sent} events to {subject}")


def ingest(
    file: Path,
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=16, help="processes loading at once, each its own parcels (default 2 on PostgreSQL, 1 on SQLite)"
    ),
) -> None:
    """Load an event file (NDJSON, CSV or Parquet) idempotently; bad rows go to dead letters.
    Each batch is its own transaction, so an interrupted load keeps what it had accepted."""
    from peakguard.monitor.file_shares import ShareFailed, default_shares

    if not file.exists():
        err_console.print(f"[red]error[/red] file: no such file {file}")
        raise typer.Exit(2)
    db = open_db()
    try:
        with counting_progress("ingest") as progress:
            task = progress.add_task("ingest", total=_lines_in(file))
            total = service.ingest_file(
                db, cli_actor(), file, SystemClock(), on_batch=lambda n: progress.advance(task, n),
                shares=workers or default_shares(db),
            )  # fmt: skip
    except ShareFailed as exc:
        err_console.print(f"[red]error[/red] ingest: {exc}; what was committed stays, run it again to finish")
        raise typer.Exit(1) from None
    console.print(
        f"accepted {total.accepted}, duplicates {total.duplicates}, dead-lettered {len(total.rejected)}"
    )
    for bad in total.rejected[:20]:
        console.print(f"  line {bad.line}: {bad.reason}")


def _lines_in(file: Path) -> int | None:
    """A text event file's rows, the progress bar's total: its lines, less a CSV's header (a
    Parquet file's rows are not counted ahead: the bar then shows the count alone)."""
    suffix = file.suffix.lower()
    if suffix not in (".ndjson", ".jsonl", ".json", ".csv"):
        return None
    lines = sum(1 for _ in file.open("rb"))
    return max(lines - 1, 0) if suffix == ".csv" else lines


def detect(
    file: Path,
    as_of: str | None = typer.Option(
        None, "--as-of", help="evaluation time (ISO 8601); default the last event"
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Offline detection over a file: no server, no database."""
    signals, rejected = detect_file(file, current_plan(), parse_iso(as_of, "as_of") if as_of else None)
    for bad in rejected:
        err_console.print(f"[yellow]skipped line {bad.line}[/yellow]: {bad.reason}")
    if as_json:
        print_json([s.as_dict() for s in signals])
        return
    table = Table("kind", "where", "count", "level", "ids")
    for s in signals:
        table.add_row(
            s.kind, s.scope, str(s.count), s.level, " ".join(s.ids[:5]) + (" ..." if len(s.ids) > 5 else "")
        )
    console.print(table)
