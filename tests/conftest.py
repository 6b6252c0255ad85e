"""Shared fixtures: a migrated database per test on SQLite and, when
``PEAKGUARD_TEST_DATABASE_URL`` is set, the same tests again on a real PostgreSQL; a frozen
clock; an API client with a token per role.

PostgreSQL gets its own throw-away database per test run (created from the given URL), so
parallel runs on one server never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import peakguard.models  # noqa: F401  (every table on Base.metadata, for EMPTY_EVERY_TABLE)
from peakguard.app import create_app
from peakguard.auth import service as auth
from peakguard.clock import FrozenClock
from peakguard.db import Base, Database, normalise_url
from peakguard.plan.schemas import Plan
from peakguard.plan.service import load_plan
from tests.factories import ADMIN

# Property tests check behaviour, not speed (speed lives in bench/): no per-example time limit,
# which on a loaded 2-core CI machine only produces false failures.
settings.register_profile("peakguard", deadline=None)
settings.load_profile("peakguard")

PG_URL = os.environ.get("PEAKGUARD_TEST_DATABASE_URL")
START = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)  # 2026-11-11 00:00 in Shanghai
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once, dropped at the end."""
    if not PG_URL:
        pytest.skip(
            "PostgreSQL tests need PEAKGUARD_TEST_DATABASE_URL (set by .ci/run when a server answers)"
        )
    base = make_url(normalise_url(PG_URL))
    name = f"peakguard_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    db.upgrade()
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "peakguard.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(EMPTY_EVERY_TABLE)
    engine.dispose()
    return url


EMPTY_EVERY_TABLE = "; ".join(
    [f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables) if t.name != "audit_log"]
    + ["TRUNCATE audit_log", "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'"]
)
"""Every table emptied, children first, and every id sequence back to 1, in one round trip.
``TRUNCATE`` of all 63 tables took 1.3-2.1 s a test (it makes new files for each table and
syncs them); deleting the few rows a test leaves takes about 0.1 s. The audit log refuses
DELETE (its append-only trigger), so it alone is truncated."""


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Argon2 at its lowest cost for the users tests make by the hundred (the real cost, about
    50 ms of a core a hash, is the point in production and a minute of the suite's time here).
    Only this process's hashing changes: servers and commands the tests start hash for real, and
    a hash records its own parameters, so checking one made either way works."""
    saved = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    auth._hasher = saved


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan()


@pytest.fixture
def app(db: Database, clock: FrozenClock):  # type: ignore[no-untyped-def]
    return create_app(db=db, clock=clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def headers_for(db: Database, clock: FrozenClock):  # type: ignore[no-untyped-def]
    """``headers_for("leader")`` makes a user of that role and returns its bearer header."""

    def make(role: str, client_id: int | None = None, username: str | None = None) -> dict[str, str]:
        name = username or f"{role}-{uuid.uuid4().hex[:6]}"
        with db.transaction() as s:
            auth.create_user(
                s, ADMIN, clock.now(), username=name, password="secret-pass", role=role, client_id=client_id
            )
            token = auth.create_token(s, ADMIN, clock.now(), username=name, name="test")
        return {"Authorization": f"Bearer {token}"}

    return make
