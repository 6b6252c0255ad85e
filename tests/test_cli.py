"""The `peakguard` command as a user runs it: users and tokens, the plan table, incidents with
--json, and bad input exiting 2 with the field and the reason, having stored nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from fastapi.testclient import TestClient

from peakguard.app import create_app
from peakguard.db import Database


def run(db_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "peakguard.cli", *args], env=env, capture_output=True, text=True, check=check
    )


def test_user_and_token_from_the_cli_work_on_the_api(db_url):
    run(db_url, "user", "add", "zhao", "--role", "leader", "--password", "long-password", "--name", "赵组长")
    token = run(db_url, "token", "create", "zhao").stdout.strip()
    assert token.startswith("pg_")
    db = Database(db_url)
    with TestClient(create_app(db=db)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    db.dispose()
    assert (me["username"], me["role"], me["display_name"]) == ("zhao", "leader", "赵组长")
    bad = run(db_url, "user", "add", "x!", "--role", "leader", "--password", "long-password", check=False)
    assert bad.returncode == 2 and "username" in bad.stderr
    bad = run(db_url, "user", "add", "qian", "--role", "emperor", "--password", "long-password", check=False)
    assert bad.returncode == 2 and "unknown role" in bad.stderr


def test_incident_open_json_and_errors(db_url):
    out = run(db_url, "incident", "open", "--kind", "backlog", "--area", "FZ-01", "--count", "25", "--json")
    body = json.loads(out.stdout)
    for key in (
        "id",
        "kind",
        "area",
        "count",
        "level",
        "deadline_at",
        "deadline_minutes",
        "handler_role",
        "notify_roles",
        "report_to_role",
    ):
        assert key in body
    assert (body["level"], body["deadline_minutes"], body["report_to_role"]) == ("L2", 480, "leader")
    for args, field in [
        (("--kind", "alien", "--area", "FZ-01"), "kind"),
        (("--kind", "backlog", "--area", "FZ-01", "--count", "-3"), "count"),
    ]:
        bad = run(db_url, "incident", "open", *args, check=False)
        assert bad.returncode == 2, bad.stderr
        assert field in bad.stderr
    listed = json.loads(run(db_url, "incident", "list", "--json").stdout)
    assert [i["id"] for i in listed] == [body["id"]]


def test_plan_show_lists_levels_and_kinds(db_url):
    out = run(db_url, "plan", "show", "--lang", "en").stdout
    assert "Level 2 (fairly serious)" in out and "480" in out and "transit_interrupted" in out


def test_a_bus_that_does_not_answer_is_an_error_at_once(db_url, tmp_path):
    """``publish`` and ``monitor --bus`` against a port nobody listens on: exit 2 within seconds,
    naming the bus (nats-py retried a refused first connection for two minutes, silently)."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port of our own that nothing listens on
    url = f"nats://127.0.0.1:{closed.getsockname()[1]}"
    events = tmp_path / "day.ndjson"
    events.write_text(json.dumps({"event_id": "e1", "type": "scan"}) + "\n")
    try:
        for args in (("publish", str(events), "--bus", url), ("monitor", "--bus", url, "--until-idle")):
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "peakguard.cli", *args],
                env={**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"},
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 2, done.stderr
            assert f"cannot reach NATS at {url}" in done.stderr
            assert time.monotonic() - started < 20
    finally:
        closed.close()
