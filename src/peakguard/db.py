"""Engine, sessions and migrations for both deployments: a SQLite file in WAL mode (embedded
default) or PostgreSQL through psycopg 3 (scaled out).

A unit of work is one transaction: services only add and flush, and :meth:`Database.transaction`
commits at the end or rolls everything back, so a failed request leaves nothing half-written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from peakguard.clock import as_utc

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always gives back an aware UTC time, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` as users write it and use the psycopg 3 driver for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


POOL_SIZE = 40


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Kept open: as many connections as the server has threads for blocking work (AnyIO's
    # default pool of 40), so a burst of requests reuses connections instead of opening and
    # closing overflow ones (each a new PostgreSQL backend process, several ms of CPU).
    return create_engine(url, pool_size=POOL_SIZE, max_overflow=10, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is switched off so that "begin" below decides.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB of page cache (the default is 2 MiB), taken as pages are read: a batch of events
    # inserts into the event_id index all over it (issue 14: the simulated day's file ingest
    # 2.85 -> 2.6 s, the insert step 1.07 -> 0.86 s).
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


READ_ONLY = "peakguard_read_only"


def _sqlite_begin(conn: Any) -> None:
    """A writer takes SQLite's write lock when its transaction starts, not at its first write:
    two writers that both read first would otherwise deadlock on the upgrade and one would fail
    (in WAL, a deferred transaction that read an older snapshot cannot write at all once another
    writer committed). A reader (a session from :attr:`Database.reads`) begins a plain deferred
    transaction: in WAL it reads its snapshot while a writer works and never waits for the lock.
    """
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine and its session factories: ``sessions`` for units of work that write,
    ``reads`` for ones that only read (on SQLite they do not take the write lock; on PostgreSQL
    the two are the same, as readers never wait for writers there), and ``lookups`` for a read
    of one statement.

    A ``lookups`` session runs in autocommit on PostgreSQL: no ``BEGIN`` before its statement
    and no ``ROLLBACK`` after it, one round trip instead of three. One statement is atomic and
    sees one snapshot on its own, so nothing is lost; it is the request gate's token lookup,
    which every changing API request pays (an event batch among them, issue 14). On SQLite it
    is a ``reads`` session."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.reads = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        self.lookups = (
            sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
            if self.dialect == "postgresql"
            else self.reads
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
        except BaseException:
            self.finish(session, False)
            raise
        self.finish(session, True)

    @staticmethod
    def finish(session: Session, commit: bool) -> None:
        """End a unit of work: commit (or roll back) and hand the connection back to the pool;
        a failed commit rolls back before it raises."""
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        upgrade(self)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(db: Database) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "peakguard:migrations")
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "heads") -> None:
    """Apply every migration not yet applied (ARCHITECTURE: every schema change is one)."""
    from alembic import command

    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


@lru_cache(maxsize=1)
def script_heads() -> frozenset[str]:
    """The newest revision of each migration branch, read from the scripts' own ``revision`` and
    ``down_revision`` lines as text: the revisions no other script names as its parent.

    Why not ask Alembic: importing it and loading its script directory takes about a second,
    which every one-shot command paid only to learn there was nothing to apply (issue 14: CLI
    start-up). ``tests/test_migrations.py`` holds this equal to Alembic's own heads."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in MIGRATIONS.glob("*.py"):
        for key, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if key == "revision" else parents).update(_QUOTED.findall(value))
    return frozenset(revisions - parents)


def applied_heads(db: Database) -> frozenset[str] | None:
    """The revisions the database says it is at, or None before its first migration."""
    try:
        with db.engine.connect() as conn:
            return frozenset(row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError:
        return None


@lru_cache(maxsize=4)
def database_for(url: str) -> Database:
    """The process's :class:`Database` for a URL, migrated on first use; Alembic runs only when
    the database is behind the scripts (:func:`script_heads`)."""
    db = Database(url)
    if applied_heads(db) != script_heads():
        db.upgrade()
    return db
