"""`peakguard backup FILE` and `peakguard restore FILE` for the configured database
(``PEAKGUARD_DATABASE_URL``): SQLite through its online backup API with a progress bar,
PostgreSQL through ``pg_dump`` / ``pg_restore`` (``--print`` shows the command instead)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from peakguard.cli_support import console, err_console
from peakguard.config import get_settings
from peakguard.ops import backup as ops

PRINT = typer.Option(
    False, "--print", help="print the command that does it (sqlite3 or pg_dump/pg_restore), run nothing"
)


def register(root: typer.Typer) -> None:
    root.command("backup")(backup_command)
    root.command("restore")(restore_command)


def backup_command(
    file: Path = typer.Argument(
        ..., help="where the backup goes (SQLite: a database file; PostgreSQL: a pg_dump archive)"
    ),
    force: bool = typer.Option(False, "--force", help="replace FILE if it exists"),
    show: bool = PRINT,
) -> None:
    """Back up the database while the server runs: one consistent moment of it, in FILE."""
    url = get_settings().database_url
    sqlite = ops.backend(url) == "sqlite"
    if show:
        print(ops.equivalent_command(url, "backup", file))
        return
    if file.exists() and not force:
        err_console.print(f"[red]error[/red] file: {file} exists (--force replaces it)")
        raise typer.Exit(2)
    if sqlite:
        with _PagesBar("backup") as advance:
            counts = ops.backup_sqlite(url, file, advance)
        console.print(f"backed up {len(counts)} tables, {sum(counts.values()):,} rows to {file}")
    else:
        with err_console.status(f"pg_dump to {file}"):
            ops.backup_postgres(url, file)
        console.print(f"backed up to {file} ({file.stat().st_size:,} bytes)")


def restore_command(
    file: Path = typer.Argument(..., help="a backup made by `peakguard backup`"),
    yes: bool = typer.Option(False, "--yes", help="do not ask: replace the database's contents"),
    show: bool = PRINT,
) -> None:
    """Replace the database's contents with FILE's, then migrate to this version's schema.
    Stop `peakguard serve` and the bus consumer first: they keep state in memory."""
    url = get_settings().database_url
    sqlite = ops.backend(url) == "sqlite"
    if show:
        print(ops.equivalent_command(url, "restore", file))
        return
    if not file.is_file():
        err_console.print(f"[red]error[/red] file: no such file {file}")
        raise typer.Exit(2)
    if not yes and not typer.confirm(f"Replace everything in the database with {file}?"):
        raise typer.Exit(1)
    if sqlite:
        with _PagesBar("restore") as advance:
            ops.restore_sqlite(url, file, advance)
    else:
        with err_console.status(f"pg_restore from {file}"):
            ops.restore_postgres(url, file)
    counts = ops.table_counts(url)
    console.print(f"restored {len(counts)} tables, {sum(counts.values()):,} rows from {file}")


class _PagesBar:
    """A Rich progress bar over the pages SQLite copies."""

    def __init__(self, what: str) -> None:
        self.progress = Progress(
            TextColumn(f"[bold]{what}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages"),
            TimeElapsedColumn(),
            console=err_console,
        )
        self.task = self.progress.add_task(what, total=None)
        self.started = False

    def __enter__(self) -> ops.Progress:
        def advance(done: int, total: int) -> None:
            if not self.started:  # at the first pages copied: a refused file shows no bar
                self.progress.start()
                self.started = True
            self.progress.update(self.task, completed=done, total=total)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.progress.stop()
