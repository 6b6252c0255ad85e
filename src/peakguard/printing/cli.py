"""`peakguard print ...`: printers and their health, queueing waybills, labels and PDF files,
the queue, and dispatcher rounds by hand (``peakguard serve`` runs one every second) (S1.6)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from peakguard.cli_support import cli_actor, console, err_console, open_db
from peakguard.clock import SystemClock
from peakguard.errors import InvalidInput
from peakguard.plan.service import current_plan
from peakguard.printing import ipp, service

app = typer.Typer(help="Printing over CUPS: printers, the print queue, failover (S1.6).")
JOB_COLOURS = {"printed": "green", "sent": "cyan", "sending": "cyan", "queued": "yellow", "cancelled": "dim"}


@app.command("printers")
def printers() -> None:
    """Every registered printer: in use or not, healthy or not, and its load."""
    table = Table("id", "queue", "name", "in use", "health", "CUPS queue", "holding", "state")
    with open_db().transaction() as session:
        held = service.loads(session)
        for p in service.list_printers(session):
            health = (
                "[green]ok" if p.healthy else ("[dim]unchecked" if p.checked_at is None else "[red]failed")
            )
            table.add_row(
                str(p.id),
                p.queue,
                p.name,
                "yes" if p.enabled else "[dim]no",
                health,
                str(p.queued),
                str(held.get(p.id, 0)),
                p.state_message,
            )
    console.print(table)


@app.command("add-printer")
def add_printer(
    queue: str, name: str = typer.Option("", help="what people call it, e.g. 'Pack line 1'")
) -> None:
    """Register a CUPS queue (``lpstat -v`` lists them)."""
    with open_db().transaction() as session:
        printer = service.add_printer(session, cli_actor(), SystemClock().now(), queue, name)
        console.print(f"printer {printer.id}: {printer.queue}")


@app.command("enable")
def enable(printer_id: int) -> None:
    with open_db().transaction() as session:
        service.set_enabled(session, cli_actor(), SystemClock().now(), printer_id, True)
    console.print(f"printer {printer_id} in use")


@app.command("disable")
def disable(printer_id: int) -> None:
    """Take a printer out of use; its unprinted jobs move to another on the next round."""
    with open_db().transaction() as session:
        service.set_enabled(session, cli_actor(), SystemClock().now(), printer_id, False)
    console.print(f"printer {printer_id} out of use")


@app.command("document")
def print_document(
    kind: str = typer.Argument(..., help="waybill (order id), sku (SKU id) or pallet (pallet id)"),
    obj_id: int = typer.Argument(...),
    reprint: bool = typer.Option(False, help="print again even if it was printed"),
) -> None:
    """Queue a waybill or label."""
    # Imported for this command: the documents bring ReportLab and the warehouse's tables, 0.3 s
    # that every other print command paid at start-up (issue 14).
    from peakguard.printing import documents

    with open_db().transaction() as session:
        job, created = documents.print_document(
            session, cli_actor(), SystemClock().now(), current_plan(), kind, obj_id, reprint=reprint
        )
        console.print(f"print job {job.id}: {job.status}" + ("" if created else " (already queued)"))


@app.command("file")
def print_file(path: Path, title: str = typer.Option("", help="defaults to the file name")) -> None:
    """Queue a PDF file."""
    if not path.is_file():
        raise InvalidInput("path", "{path} is not a file", path=path)
    with open_db().transaction() as session:
        job, _ = service.submit(
            session,
            cli_actor(),
            SystemClock().now(),
            document=f"file:{path.name}",
            title=title or path.stem,
            data=path.read_bytes(),
            reprint=True,
        )
        console.print(f"print job {job.id}: {job.status}")


@app.command("jobs")
def jobs(status: str | None = None, limit: int = typer.Option(50, min=1)) -> None:
    table = Table("id", "created", "document", "status", "printer", "try", "CUPS job", "last error")
    with open_db().transaction() as session:
        names = {p.id: p.queue for p in service.list_printers(session)}
        for j in service.list_jobs(session, status, limit):
            table.add_row(
                str(j.id),
                j.created_at.strftime("%m-%d %H:%M:%S"),
                j.document,
                f"[{JOB_COLOURS.get(j.status, 'white')}]{j.status}",
                names.get(j.printer_id or 0, "-"),
                str(j.attempt),
                str(j.cups_job_id or "-"),
                j.last_error or "",
            )
    console.print(table)


@app.command("dispatch")
def dispatch(
    wait: bool = typer.Option(False, help="repeat rounds until every job has printed"),
    timeout: float = typer.Option(120.0, help="with --wait: give up after this many seconds"),
) -> None:
    """One dispatcher round now; with --wait, rounds every second until the queue is empty."""
    from peakguard.printing.dispatch import dispatch as dispatch_round

    db, cups = open_db(), ipp.CupsClient()
    with db.transaction() as session:
        total = sum(
            n for status, n in service.by_status(session).items() if status in ("queued", "sending", "sent")
        )
    columns = (
        TextColumn("[bold]printing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    deadline = time.monotonic() + timeout
    with Progress(*columns, console=err_console) as progress:
        task = progress.add_task("print", total=total, note="")
        while True:
            result = dispatch_round(db, SystemClock().now(), cups)
            with db.transaction() as session:
                counts = service.by_status(session)
            open_jobs = sum(counts.get(s, 0) for s in ("queued", "sending", "sent"))
            failed = f" · [red]failed: {', '.join(result.failed_printers)}" if result.failed_printers else ""
            progress.update(task, completed=max(total - open_jobs, 0), note=f"moved {result.moved}{failed}")
            if not wait or open_jobs == 0:
                break
            if time.monotonic() > deadline:
                err_console.print(f"[red]{open_jobs} job(s) still open after {timeout:.0f} s")
                raise typer.Exit(1)
            time.sleep(1)
    console.print(", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "no print jobs")
