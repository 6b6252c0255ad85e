"""What every domain's Typer commands share: the database, the acting local operator, JSON
output. Commands stay thin: parse, call a service inside one transaction, print."""

from __future__ import annotations

import getpass
import json
from typing import Any

from rich.console import Console

from peakguard.audit.service import Actor
from peakguard.config import get_settings
from peakguard.db import Database, database_for

console = Console()
err_console = Console(stderr=True)


def open_db() -> Database:
    """The configured database, migrated to the newest schema (applied automatically on start).
    Every domain's tables are loaded (Alembic's environment did it when every command ran
    Alembic), so a foreign key into a domain the command never touches still resolves; here, not
    at the top, so that ``--help`` stays free of SQLAlchemy."""
    import peakguard.models  # noqa: F401

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
