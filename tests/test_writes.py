"""Writes are stored before they are answered, a write the database refuses is a 503 the client
sees (and may retry), and readers never wait behind a writer (issue 13 items 2 and 12; S3.3:
every reported incident is kept; S1.2: every event ingested is kept)."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, func, select, text

from peakguard.app import create_app
from peakguard.auth import service as auth
from peakguard.db import Database
from peakguard.incidents.models import Incident
from peakguard.monitor.models import MonitorEvent
from tests.factories import ADMIN, login, make_user


@pytest.mark.parametrize(
    ("path", "body", "table", "status"),
    [
        ("/api/v1/incidents", {"kind": "delay", "area": "FZ-01"}, "incidents", 201),
        ("/api/v1/events", [{"event_id": "e-1", "type": "scan", "parcel_id": "P-1",
                             "ts": "2026-11-11T09:00:00+08:00", "status": "hub_arrived",
                             "area": "FZ-01", "site": "FZ-HUB"}], "monitor_events", 200),
    ],
)  # fmt: skip
def test_a_write_is_committed_before_its_answer_starts(app, db_url, headers_for, path, body, table, status):
    """Seen from another connection at the moment the first byte of the answer goes out, the
    row the answer reports is already stored (before the fix the commit ran after the answer
    had been sent, so a failed commit still left the client with its 201). The event batch
    commits in its route's thread hop (issue 14), not in the request's dependency."""
    admin = headers_for("admin")
    observer = create_engine(db_url)
    seen: list[int] = []

    async def watching(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def send_and_look(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and scope["method"] == "POST":
                with observer.connect() as conn:
                    seen.append(conn.scalar(text(f"SELECT count(*) FROM {table}")))
            await send(message)

        await app(scope, receive, send_and_look)

    try:
        with TestClient(watching) as client:
            r = client.post(path, json=body, headers=admin)
    finally:
        observer.dispose()
    assert r.status_code == status, r.text
    assert seen == [1]


def test_an_event_batch_whose_commit_fails_is_a_503_and_stores_nothing(
    app, db, clock, headers_for, monkeypatch
):
    """The database refuses the batch's commit (a serialization failure, a full disk, a lost
    connection): the client gets a 503 it can retry, not a 200, and none of the batch is
    stored; the retry stores all of it. The commit is made to fail at the driver, as a real
    refusal comes, only for the transaction that wrote the batch's audit entry."""
    admin = headers_for("admin")
    refused: list[bool] = []
    batch_of = "events.ingest"

    def mark(conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "audit_log" in statement and batch_of in str(parameters):
            conn.info["refuse_commit"] = True

    real_commit = db.engine.dialect.do_commit

    def do_commit(pooled: Any) -> None:  # the pool's connection: its info is the marked one
        if pooled.info.pop("refuse_commit", False) and not refused:
            refused.append(True)
            raise db.engine.dialect.loaded_dbapi.OperationalError("commit refused (injected)")
        real_commit(pooled)

    event.listen(db.engine, "before_cursor_execute", mark)
    monkeypatch.setattr(db.engine.dialect, "do_commit", do_commit)
    batch = [_scan(f"refused-{i}", clock) for i in range(5)]
    with TestClient(app) as client:
        r = client.post("/api/v1/events", json=batch, headers=admin)
        assert refused == [True]
        assert r.status_code == 503, r.text
        _assert_unavailable(r)
        with db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(MonitorEvent)) == 0
        again = client.post("/api/v1/events", json=batch, headers=admin)
    assert again.status_code == 200 and again.json()["accepted"] == 5, again.text


def test_a_read_answers_while_another_connection_holds_the_write_lock(client, db, headers_for):
    """On SQLite every transaction used to begin IMMEDIATE, so a GET waited (up to the 30 s busy
    timeout, then a 500) behind any writer. In WAL a reader has its snapshot and must not wait."""
    admin = headers_for("admin")
    client.post("/api/v1/incidents", json={"kind": "delay", "area": "FZ-01"}, headers=admin)
    answers: list[int] = []
    with db.engine.connect() as writer:  # the engine's own begin: the write lock, held
        writer.execute(text("UPDATE incidents SET summary = 'being edited'"))
        reader = threading.Thread(
            target=lambda: answers.append(client.get("/api/v1/incidents", headers=admin).status_code)
        )
        reader.start()
        reader.join(timeout=5)
        finished_while_locked = not reader.is_alive()
        writer.rollback()
    reader.join()
    assert finished_while_locked, "the GET waited for the writer"
    assert answers == [200]


def test_a_write_still_takes_the_lock_up_front_and_waits_for_the_writer(db):
    """Writers keep BEGIN IMMEDIATE on SQLite (a reader that upgrades to a writer after another
    writer committed cannot write at all in WAL). A read session does not take the lock."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's lock modes; PostgreSQL locks rows, not the database")
    with db.reads() as reader:
        reader.execute(select(func.count()).select_from(Incident))
        assert not _holds_write_lock(db)
    with db.sessions() as writer:
        writer.execute(select(func.count()).select_from(Incident))
        assert _holds_write_lock(db)


def _holds_write_lock(db: Database) -> bool:
    other = create_engine(db.url, connect_args={"timeout": 0})
    try:
        with other.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.exec_driver_sql("ROLLBACK")
        return False
    except Exception as exc:
        assert "locked" in str(exc)
        return True
    finally:
        other.dispose()


# -- a full disk under the SQLite file ---------------------------------------------------------


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[Path | None]:
    """An 8 MB tmpfs mounted at ``where`` when this process may mount one (root in a container
    that allows it), else None."""
    where.mkdir()
    if os.geteuid() != 0:
        yield None
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(path: Path, leave: int) -> None:
    """Write zeros to ``path`` until the file system is full, then give back ``leave`` bytes."""
    chunk = b"\0" * 65536
    with path.open("wb") as fh:
        try:
            while True:
                fh.write(chunk)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    os.truncate(path, max(0, path.stat().st_size - leave))


def test_a_full_disk_under_sqlite_loses_no_acknowledged_write(tmp_path, sqlite_template, clock):
    """Fill the disk under the SQLite file while events are ingested and incidents reported:
    every answer is a 2xx whose rows are stored, or a 503 with the JSON error (an error page
    for a form), never a 500 and never a 2xx for rows that are not there.

    The disk is a real one that runs full: a small tmpfs holding the database, its WAL and a
    filler file, when the test runs as root where mounting is allowed. Elsewhere SQLite's own
    ``max_page_count`` caps the file a few hundred pages above its size: SQLite then answers
    SQLITE_FULL ("database or disk is full") exactly as it does on a full disk, through the
    same code path, which is what the application sees and must answer right."""
    with small_disk(tmp_path / "disk") as disk:
        folder = disk or tmp_path
        path = folder / "peakguard.db"
        path.write_bytes(sqlite_template.read_bytes())
        db = Database(f"sqlite:///{path}")
        if disk is None:
            event.listen(db.engine, "connect", _capped_pages)
        try:
            accepted, reports = _write_until_full(db, clock, disk)
        finally:
            db.dispose()
            (folder / "filler").unlink(missing_ok=True)
        created = [incident_id for _, status, incident_id in reports if status == 201]
        _check_stored(Database(f"sqlite:///{path}"), accepted, created)
        _retry_reports(Database(f"sqlite:///{path}"), clock, reports)


def _capped_pages(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    pages = cur.execute("PRAGMA page_count").fetchone()[0]
    cur.execute(f"PRAGMA max_page_count = {pages + 300}")
    cur.close()


Report = tuple[str, int, int | None]  # the area reported, the answer's status, the incident id


def _write_until_full(db: Database, clock: Any, disk: Path | None) -> tuple[list[list[str]], list[Report]]:
    """Events and incidents until the disk is full and five more rounds: the event batches
    answered 200, and each report's area, status and incident id (each sent with the
    ``Idempotency-Key`` ``report-<area>``)."""
    with db.transaction() as s:
        auth.create_user(s, ADMIN, clock.now(), username="root-op", password="secret-pass", role="admin")
        token = auth.create_token(s, ADMIN, clock.now(), username="root-op", name="fault")
    name = make_user(db, clock, "admin")
    admin = {"Authorization": f"Bearer {token}"}
    accepted: list[list[str]] = []
    reports: list[Report] = []
    statuses: list[int] = []
    with TestClient(create_app(db=db, clock=clock)) as client:
        csrf = login(client, name)
        first = client.post("/api/v1/incidents", json={"kind": "delay", "area": "AREA-0"}, headers=admin)
        assert first.status_code == 201
        if disk is not None:
            fill(disk / "filler", leave=1_500_000)
        failures_after_full = 0
        for round_no in range(1, 200):
            ids = [f"full-{round_no}-{i}-{uuid.uuid4().hex[:8]}" for i in range(300)]
            r = client.post("/api/v1/events", json=[_scan(e, clock) for e in ids], headers=admin)
            statuses.append(r.status_code)
            if r.status_code == 200:
                assert r.json()["accepted"] == len(ids)
                accepted.append(ids)
            area = f"AREA-{round_no}"
            r = client.post(
                "/api/v1/incidents",
                json={"kind": "delay", "area": area, "summary": "x" * 2000},
                headers={**admin, "Idempotency-Key": f"report-{area}"},
            )
            statuses.append(r.status_code)
            reports.append((area, r.status_code, r.json()["id"] if r.status_code == 201 else None))
            if 503 in statuses:
                failures_after_full += 1
                _assert_unavailable(r)
                page = client.post(
                    f"/incidents/{first.json()['id']}/note",
                    data={"text": "n" * 5000, "csrf_token": csrf},
                    follow_redirects=False,
                )
                if page.status_code != 303:
                    assert page.status_code == 503
                    assert page.headers["content-type"].startswith("text/html")
                if failures_after_full >= 5:
                    break
    assert set(statuses) <= {200, 201, 503}, statuses
    assert statuses.count(503) >= 2, "the disk never ran full"
    assert accepted and 201 in [status for _, status, _ in reports], "nothing stored before the disk ran full"
    return accepted, reports


def _retry_reports(db: Database, clock: Any, reports: list[Report]) -> None:
    """With room again, the client sends every report again with its key: one answered 201
    gets the same answer back and makes nothing; one answered 503 is made now, once."""
    with db.transaction() as s:
        token = auth.create_token(s, ADMIN, clock.now(), username="root-op", name="retry")
    admin = {"Authorization": f"Bearer {token}"}
    try:
        with TestClient(create_app(db=db, clock=clock)) as client:
            for area, status, incident_id in reports:
                r = client.post(
                    "/api/v1/incidents",
                    json={"kind": "delay", "area": area, "summary": "x" * 2000},
                    headers={**admin, "Idempotency-Key": f"report-{area}"},
                )
                assert r.status_code == 201, r.text
                assert (r.headers.get("idempotent-replayed") == "true") == (status == 201)
                if status == 201:
                    assert r.json()["id"] == incident_id
        with db.transaction() as s:
            areas = list(s.scalars(select(Incident.area).where(Incident.area != "AREA-0")))
    finally:
        db.dispose()
    assert sorted(areas) == sorted(area for area, _, _ in reports), "a report was lost or made twice"


def _assert_unavailable(r: Any) -> None:
    if r.status_code == 503:
        error = r.json()["error"]
        assert error["code"] == "unavailable"
        assert error["message"]


def _scan(event_id: str, clock: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "scan",
        "parcel_id": event_id,
        "ts": clock.now().isoformat(),
        "status": "hub_arrived",
        "area": "FZ-01",
        "site": "FZ-HUB",
        "exception": None,
    }


def _check_stored(db: Database, accepted: list[list[str]], created: list[int]) -> None:
    try:
        with db.transaction() as s:
            stored = set(s.scalars(select(MonitorEvent.event_id).where(MonitorEvent.event_id.like("full-%"))))
            incidents = set(s.scalars(select(Incident.id)))
    finally:
        db.dispose()
    for batch in accepted:
        assert set(batch) <= stored, "a batch answered 200 is not stored"
    assert set(created) <= incidents, "an incident answered 201 is not stored"


# -- idempotency keys --------------------------------------------------------------------------


def test_a_create_retried_with_its_key_is_made_once_and_answered_as_the_first_time(client, db, headers_for):
    admin = headers_for("admin")
    keyed = {**admin, "Idempotency-Key": "7f1c2a9e-report"}
    body = {"kind": "delay", "area": "FZ-01", "summary": "trucks late"}
    first = client.post("/api/v1/incidents", json=body, headers=keyed)
    again = client.post("/api/v1/incidents", json=body, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 1
    # the same report without a key is an update of the active incident, as always (200)
    assert client.post("/api/v1/incidents", json=body, headers=admin).status_code == 200


def test_a_key_reused_for_another_request_or_malformed_is_422_naming_the_header(client, headers_for):
    keyed = {**headers_for("admin"), "Idempotency-Key": "k-1"}
    assert (
        client.post("/api/v1/incidents", json={"kind": "delay", "area": "A"}, headers=keyed).status_code
        == 201
    )
    r = client.post("/api/v1/incidents", json={"kind": "delay", "area": "B"}, headers=keyed)
    assert r.status_code == 422 and r.json()["error"]["field"] == "Idempotency-Key", r.text
    for bad in ("x" * 201, "has space"):
        r = client.post(
            "/api/v1/incidents",
            json={"kind": "delay", "area": "C"},
            headers={**keyed, "Idempotency-Key": bad},
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "Idempotency-Key", r.text


def test_keys_belong_to_their_caller(client, db, headers_for):
    key = {"Idempotency-Key": "shared-key"}
    one = client.post(
        "/api/v1/incidents", json={"kind": "delay", "area": "A"}, headers={**headers_for("admin"), **key}
    )
    two = client.post(
        "/api/v1/incidents", json={"kind": "lost", "area": "B"}, headers={**headers_for("admin"), **key}
    )
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] != two.json()["id"]


def test_warehouse_creates_take_a_key_too(client, db, headers_for):
    keyed = {**headers_for("admin"), "Idempotency-Key": "client-acme"}
    body = {"code": "ACME", "name": "Acme"}
    first = client.post("/api/v1/warehouse/clients", json=body, headers=keyed)
    again = client.post("/api/v1/warehouse/clients", json=body, headers=keyed)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()


def test_a_write_the_database_refuses_is_a_503_json_error_or_error_page(db, clock, headers_for):
    """Another connection holds SQLite's write lock longer than the app waits (its busy timeout,
    cut to 0.2 s here): the API answers 503 with the JSON error, a form an error page, and
    nothing is stored; once the lock is free the same request succeeds."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's database lock; PostgreSQL writers lock rows")
    event.listen(db.engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout = 200"))
    admin = headers_for("admin")
    name = make_user(db, clock, "admin")
    with TestClient(create_app(db=db, clock=clock)) as client:
        csrf = login(client, name)
        incident_id = client.post(
            "/api/v1/incidents", json={"kind": "delay", "area": "A"}, headers=admin
        ).json()["id"]
        other = create_engine(db.url)
        try:
            with other.connect() as holder:
                holder.exec_driver_sql("BEGIN IMMEDIATE")
                api = client.post("/api/v1/incidents", json={"kind": "delay", "area": "B"}, headers=admin)
                page = client.post(f"/incidents/{incident_id}/note", data={"text": "n", "csrf_token": csrf})
                holder.exec_driver_sql("ROLLBACK")
        finally:
            other.dispose()
        assert api.status_code == 503 and api.json()["error"]["code"] == "unavailable", api.text
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        again = client.post("/api/v1/incidents", json={"kind": "delay", "area": "B"}, headers=admin)
        assert again.status_code == 201
    with db.transaction() as s:
        assert sorted(s.scalars(select(Incident.area))) == ["A", "B"]


def test_the_readme_retry_block_runs(tmp_path):
    """README "Writes and retries": the same report sent twice with one key is made once, and
    the retry gets the first answer back, marked as replayed."""
    from tests.test_ops_readme import bash_blocks, run_block

    (block,) = bash_blocks("### Writes and retries (Idempotency-Key, 503)")
    done = run_block(block, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line.strip().lower() for line in done.stdout.strip().splitlines()]
    assert lines[-3:] == ["http/1.1 201 created", "http/1.1 201 created", "idempotent-replayed: true"], lines
    stored = Database(f"sqlite:///{tmp_path / 'peakguard.db'}")
    try:
        with stored.transaction() as s:
            assert s.scalar(select(func.count()).select_from(Incident)) == 1
    finally:
        stored.dispose()
