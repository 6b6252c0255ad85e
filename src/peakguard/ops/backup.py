"""Backups of either deployment's database (issue 13, "operable in production").

SQLite: SQLite's online backup API copies the file page by page while the server keeps running.
The copy reads inside one read transaction, so in WAL mode it is one consistent moment of the
database, writers are never blocked, and it never restarts however busy the server is. It is
written next to the target and renamed into place when complete, so a failed or interrupted
backup never leaves a half file under the backup's name. A restore checks the file first (a
SQLite database that passes ``integrity_check`` and carries PeakGuard's schema version), then
copies it over the configured database with the same API and migrates it to the newest schema.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction`` (all or
nothing), with the password passed in the environment, never on the command line.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import URL, make_url

from peakguard.db import Database, normalise_url
from peakguard.errors import DomainError, InvalidInput

PAGES_PER_STEP = 1024
"""Pages copied per step of the SQLite backup (4 MiB at the default page size): the unit of the
progress bar."""

Progress = Callable[[int, int], None]
"""Told the pages done and the pages in all, after each step."""


def backend(url: str) -> str:
    return make_url(normalise_url(url)).get_backend_name()


def sqlite_path(url: str) -> Path:
    path = make_url(normalise_url(url)).database
    if not path or path == ":memory:":
        raise InvalidInput("database_url", "an in-memory SQLite database has nothing to back up")
    return Path(path)


def backup_sqlite(url: str, target: Path, progress: Progress) -> dict[str, int]:
    """Copy the database to ``target`` and answer the rows per table of the copy."""
    source = sqlite_path(url)
    if not source.exists():
        raise InvalidInput("database_url", "no database file at {source}", source=source)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30, isolation_level=None)
    dst = sqlite3.connect(partial, isolation_level=None)
    try:
        src.execute("BEGIN")  # one read snapshot for every step: consistent, never restarted
        src.execute("SELECT count(*) FROM sqlite_master").fetchall()
        src.backup(dst, pages=PAGES_PER_STEP, progress=_pages(progress), sleep=0)
        src.execute("COMMIT")
        _check_sqlite(dst, partial)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        counts = _sqlite_counts(dst)
    except BaseException:
        dst.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    dst.close()
    os.replace(partial, target)
    return counts


def restore_sqlite(url: str, source: Path, progress: Progress) -> None:
    target = sqlite_path(url)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        _check_sqlite(src, source)
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30, isolation_level=None)
        try:
            src.backup(dst, pages=PAGES_PER_STEP, progress=_pages(progress), sleep=0)
        finally:
            dst.close()
    finally:
        src.close()
    _migrate(url)


@dataclass(frozen=True)
class PgCommand:
    argv: list[str]
    env: dict[str, str]

    def shown(self) -> str:
        """The command as an operator can paste it (the password stays out of it)."""
        prefix = "PGPASSWORD=... " if self.env else ""
        return prefix + shlex.join(self.argv)


def pg_dump(url: str, target: Path) -> PgCommand:
    dbname, env = _pg_target(url)
    return PgCommand(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
            f"--dbname={dbname}",
        ],
        env,
    )


def pg_restore(url: str, source: Path) -> PgCommand:
    dbname, env = _pg_target(url)
    return PgCommand(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={dbname}",
            str(source),
        ],
        env,
    )


def equivalent_command(url: str, verb: str, file: Path) -> str:
    """What ``peakguard backup/restore FILE`` does, as one command for a shell (``--print``):
    the ``sqlite3`` shell's ``.backup``/``.restore``, or ``pg_dump``/``pg_restore``."""
    if backend(url) == "sqlite":
        return f"sqlite3 {shlex.quote(str(sqlite_path(url)))} {shlex.quote(f'.{verb} {file}')}"
    return (pg_dump(url, file) if verb == "backup" else pg_restore(url, file)).shown()


def backup_postgres(url: str, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    try:
        _run(pg_dump(url, partial))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)


def restore_postgres(url: str, source: Path) -> None:
    if not source.is_file():
        raise InvalidInput("file", "no such file {source}", source=source)
    _run(pg_restore(url, source))
    _migrate(url)


def table_counts(url: str) -> dict[str, int]:
    """Rows per table of the database at ``url``: what a backup and its restore must agree on."""
    db = Database(url)
    try:
        names = sorted(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            return {
                name: int(conn.scalar(select(func.count()).select_from(table(name))) or 0) for name in names
            }
    finally:
        db.dispose()


# --- internals -------------------------------------------------------------------------------


def _pages(progress: Progress) -> Callable[[int, int, int], None]:
    return lambda _status, remaining, total: progress(total - remaining, total)


def _check_sqlite(conn: sqlite3.Connection, path: Path) -> None:
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(
            "file", "{path} is not a PeakGuard SQLite database ({detail})", path=path, detail=exc
        ) from exc
    if verdict != "ok":
        raise InvalidInput(
            "file", "{path} fails SQLite's integrity check: {verdict}", path=path, verdict=verdict
        )
    if version is None:
        raise InvalidInput("file", "{path} has no schema version: not a PeakGuard database", path=path)


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {
        n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]
        for n in names
        if not n.startswith("sqlite_")
    }


def _migrate(url: str) -> None:
    """A backup from an older version is brought to this version's schema."""
    db = Database(url)
    try:
        db.upgrade()
    finally:
        db.dispose()


def _pg_target(url: str) -> tuple[str, dict[str, str]]:
    parsed: URL = make_url(normalise_url(url))
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False), env


def _run(command: PgCommand) -> None:
    program = command.argv[0]
    if shutil.which(program) is None:
        raise DomainError(
            "{program} is not installed here (Debian: apt-get install postgresql-client); run it where it is: {command}",
            error_code="tool_missing",
            program=program,
            command=command.shown(),
        )
    done = subprocess.run(command.argv, env={**os.environ, **command.env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise DomainError(
            "{program} failed ({returncode}): {detail}",
            error_code="tool_failed",
            program=program,
            returncode=done.returncode,
            detail=done.stderr.strip(),
        )
