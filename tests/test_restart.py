"""Restart safety (ARCHITECTURE flow 2, S3.4): deadlines are rows, so a `peakguard serve` killed
with SIGKILL and started again loses no timer and escalates nothing twice. These tests run the
real command in real processes against the test database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from peakguard.db import Database
from peakguard.incidents.models import Deadline
from peakguard.notify.models import Notification


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peakguard.cli", *args], env=env, capture_output=True, text=True, check=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "peakguard.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), "server to answer", timeout=SERVER_START)
    except BaseException:
        # Never leave it running: an orphan writing into the test database (its ticker escalates
        # every 0.2 s) fails every later test of this run on that database.
        proc.kill()
        proc.wait()
        raise
    return proc, url


SERVER_START = 120
"""Seconds a starting server may take to open its port: waiting, not timing (a start took 38 s
on a machine at load average 8, where 30 s was once the limit)."""


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/openapi.json", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll a process's observable effect (never a deadline: those move by the clock we set)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def breaches(db: Database, incident_id: int) -> tuple[int, int]:
    with db.transaction() as s:
        fired = s.scalar(
            select(func.count())
            .select_from(Deadline)
            .where(Deadline.incident_id == incident_id, Deadline.state == "breached")
        )
        told = s.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.incident_id == incident_id, Notification.event == "breached")
        )
    return int(fired or 0), int(told or 0)


def open_at(env: dict[str, str], area: str, at: datetime) -> int:
    out = cli(env, "incident", "open", "--kind", "delay", "--area", area, "--at", at.isoformat(), "--json")
    return int(json.loads(out.stdout)["id"])


def test_killed_server_loses_no_timer_and_escalates_nothing_twice(db_url):
    """The server runs on simulated time (PEAKGUARD_CLOCK_START): the first run at T0, the
    second an hour later, so the timer pending at the kill is due when it comes back."""
    t0 = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "PEAKGUARD_TICK_SECONDS": "0.2"}
    first_run = {**env, "PEAKGUARD_CLOCK_START": t0.isoformat()}
    db = Database(db_url)
    overdue = open_at(env, "FZ-01", t0 - timedelta(hours=2))  # L3: due 90 minutes before T0
    pending = open_at(env, "FZ-02", t0 - timedelta(minutes=10))  # due 20 minutes after T0

    server, _ = start_server(first_run)
    try:
        wait_for(lambda: breaches(db, overdue) == (1, 1), "the overdue incident to be escalated")
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    assert breaches(db, pending) == (0, 0)

    later = t0 + timedelta(hours=1)
    server, _ = start_server({**env, "PEAKGUARD_CLOCK_START": later.isoformat()})
    try:
        wait_for(
            lambda: breaches(db, pending) == (1, 1), "the timer pending at the kill to fire after restart"
        )
        # A sentinel escalated after that proves more ticker rounds ran over the old rows.
        sentinel = open_at(env, "FZ-03", later - timedelta(hours=1))
        wait_for(lambda: breaches(db, sentinel) == (1, 1), "a later ticker round")
        assert breaches(db, overdue) == (1, 1)
        assert breaches(db, pending) == (1, 1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    db.dispose()


def test_one_shot_tick_in_separate_processes_fires_once(db_url):
    """`peakguard tick --at` twice, each a fresh process and engine: the second finds nothing."""
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url}
    base = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
    open_at(env, "FZ-01", base)
    assert "0 escalated" in cli(env, "tick", "--at", (base + timedelta(minutes=29)).isoformat()).stdout
    assert "1 escalated: #1" in cli(env, "tick", "--at", (base + timedelta(minutes=30)).isoformat()).stdout
    assert "0 escalated" in cli(env, "tick", "--at", (base + timedelta(hours=3)).isoformat()).stdout
