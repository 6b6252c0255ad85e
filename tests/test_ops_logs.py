"""Request ids and structured logs (issue 13): every answer carries ``X-Request-ID`` (the
caller's when sane), every log line of the request carries the same id, and
``peakguard serve --log-format json`` writes one JSON object per line."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from peakguard.app import create_app
from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.ops.logs import JsonFormatter, RequestIdFilter, log_config
from tests.test_restart import SERVER_START, free_port, wait_for


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the app logs while the test runs, formatted as ``--log-format json`` does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_sane_request_id_is_kept_and_a_bad_one_replaced(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:01"}).headers["x-request-id"] == "lb-7f3a:01"
    )
    for bad in ("two words", "x" * 129, "a\u00e9b", ""):
        given = client.get("/healthz", headers={"X-Request-ID": bad.encode()})
        answered = given.headers["x-request-id"]
        assert answered != bad and len(answered) == 32 and int(answered, 16) >= 0
    first, second = (client.get("/healthz").headers["x-request-id"] for _ in range(2))
    assert first != second


def test_the_access_line_and_a_crash_carry_the_request_id(
    db: Database, clock: FrozenClock, json_lines: io.StringIO
) -> None:
    app = create_app(db=db, clock=clock)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("disk on fire")

    with TestClient(app, raise_server_exceptions=False) as client:
        ok = client.get("/api/v1/incidents", headers={"X-Request-ID": "req-1"})
        crash = client.get("/boom", headers={"X-Request-ID": "req-2"})
    assert ok.status_code == 401 and crash.status_code == 500
    assert crash.headers["x-request-id"] == "req-2" and crash.json()["error"]["code"] == "internal"
    lines = records(json_lines)
    access = next(r for r in lines if r["logger"] == "peakguard.access" and r["request_id"] == "req-1")
    assert access["route"] == "/api/v1/incidents" and access["status"] == 401 and access["level"] == "info"
    assert isinstance(access["duration_ms"], float) and access["message"].startswith(
        "GET /api/v1/incidents 401"
    )
    failed = next(r for r in lines if r["message"] == "unhandled error")
    assert failed["request_id"] == "req-2" and "disk on fire" in str(failed["exc"])
    assert any(
        r["logger"] == "peakguard.access" and r["request_id"] == "req-2" and r["status"] == 500 for r in lines
    )


def test_log_config_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="text, json"):
        log_config("xml")


def test_serve_writes_json_lines_with_the_request_id(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PEAKGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'pg.db'}",
        "PEAKGUARD_LOG_FORMAT": "json",
    }
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "peakguard.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            try:
                return httpx.get(url + "/healthz", headers={"X-Request-ID": "probe-42"}, timeout=1).is_success
            except httpx.HTTPError:
                return False

        wait_for(healthy, "the server to answer /healthz", timeout=SERVER_START)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    lines = (tmp_path / "serve.log").read_text().splitlines()
    parsed = [json.loads(line) for line in lines]  # every line is JSON, uvicorn's own included
    assert any(r["logger"].startswith("uvicorn") for r in parsed)
    probe = [r for r in parsed if r["request_id"] == "probe-42"]
    assert probe and probe[-1]["logger"] == "peakguard.access" and probe[-1]["route"] == "/healthz"


def test_serve_refuses_an_unknown_log_format(tmp_path: Path) -> None:
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'pg.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "serve", "--log-format", "xml"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "--log-format" in done.stderr
