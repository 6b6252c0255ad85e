"""What every domain's Typer commands share: the database, the acting local operator, JSON
output. Commands stay thin: parse, call a service inside one transaction, print."""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING, Any

from rich.console import Console

from peakguard.audit.service import Actor
from peakguard.config import get_settings
from peakguard.db import Database, database_for

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console()
err_console = Console(stderr=True)


def counting_progress(label: str, unit: str = "") -> Progress:
    """The bar long CLI work shows on stderr: what it does, the bar, done of total (``unit``
    after it), the time so far. Rich's progress module is imported here, by the commands that
    show one, not by every one-shot command."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn()]
    return Progress(*columns, *([TextColumn(unit)] if unit else []), TimeElapsedColumn(), console=err_console)


def open_db() -> Database:
    """The configured database, migrated to the newest schema (applied automatically on start).
    Only the tables the command's own modules import are mapped: each models module imports the
    ones its foreign keys point to (``tests/test_cli_startup.py`` holds them to it), so every key
    resolves without mapping all 64 tables, which took a fifth of a one-shot command's start-up
    (issue 14). Alembic's environment loads them all when a migration runs."""
    return database_for(get_settings().database_url)


def cli_actor() -> Actor:
    """The local operator: whoever can run the CLI on the database's machine already holds the
    database, so the CLI acts as admin and is audited under the OS user name."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(name=f"cli:{name}", role="admin")


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))
