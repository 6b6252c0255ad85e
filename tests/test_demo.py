"""`peakguard demo`, the README's main command, as a user runs it: it makes its database,
serves, streams the simulated day, and within the first simulated hour incidents open, rise in
level and count down (issue 5, S1.8, S3.3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from peakguard.auth import service as auth
from peakguard.db import Database
from tests.conftest import START
from tests.factories import ADMIN
from tests.test_printing import cups_missing
from tests.test_restart import SERVER_START, _answers, free_port, wait_for


def test_demo_serves_a_simulated_day_where_incidents_open_and_rise(tmp_path):
    port, inbox_port, db_path = free_port(), free_port(), tmp_path / "demo.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peakguard.cli",
            "demo",
            "--port",
            str(port),
            "--db",
            str(db_path),
            "--speed",
            "120",
            "--parcels",
            "2000",
            "--start",
            START.isoformat(),
            "--inbox-port",
            str(inbox_port),
        ],
        env={**os.environ, "COLUMNS": "120"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url), "the demo server", timeout=SERVER_START)
        db = Database(f"sqlite:///{db_path}")
        with db.transaction() as s:
            token = auth.create_token(s, ADMIN, START, username="viewer", name="test")
        headers = {"Authorization": f"Bearer {token}"}

        def backlog_is_l2() -> bool:
            rows = httpx.get(f"{url}/api/v1/incidents", headers=headers, timeout=5).json()
            return any(i["kind"] == "backlog" and i["level"] == "L2" for i in rows)

        wait_for(backlog_is_l2, "the injected backlog to open and rise to L2", timeout=90)
        rows = httpx.get(f"{url}/api/v1/incidents", headers=headers, timeout=5).json()
        backlog = next(i for i in rows if i["kind"] == "backlog")
        detail = httpx.get(f"{url}/api/v1/incidents/{backlog['id']}", headers=headers, timeout=5).json()
        assert "level_raised" in [t["event"] for t in detail["timeline"]], detail["timeline"]
        login = httpx.post(f"{url}/api/v1/auth/token", json={"username": "li", "password": "peakguard-demo"})
        assert login.status_code == 200
        shop = httpx.post(
            f"{url}/api/v1/auth/token", json={"username": "shop-a", "password": "peakguard-demo"}
        )
        own = {"Authorization": f"Bearer {shop.json()['token']}"}
        stock = httpx.get(f"{url}/api/v1/warehouse/stock", headers=own, timeout=5).json()
        assert stock and all(row["client_id"] == stock[0]["client_id"] for row in stock)  # its own goods only
        scores = httpx.get(f"{url}/api/v1/readiness/scores", headers=headers, timeout=5).json()
        assert 0 < scores["percent"] < 100 and scores["overdue"] == 2  # S1: prepared, two items still late
        # issue 16: the demo's alerts are delivered to its own inbox, which shows them
        inbox = f"http://127.0.0.1:{inbox_port}/"
        wait_for(lambda: "<tr><td>" in httpx.get(inbox, timeout=5).text, "a delivered alert")
        with db.transaction() as s:
            from sqlalchemy import func, select

            from peakguard.notify.models import Notification

            statuses = dict(
                s.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
            )
        assert statuses.get("sent", 0) > 0 and not statuses.get("failed"), statuses
        with db.transaction() as s:  # issue 16: a real PDF printer where CUPS has cups-pdf
            from peakguard.printing.models import Printer

            queues = [p.queue for p in s.scalars(select(Printer))]
        assert queues == ([] if cups_missing() else ["PeakGuard-PDF"])
        db.dispose()
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert "peakguard-demo" in out and url in out and f"127.0.0.1:{inbox_port}" in out
