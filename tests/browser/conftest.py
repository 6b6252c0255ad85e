"""A real server and Debian's Chromium for the browser tests (issue 5).

The server is the real app under Uvicorn on a free localhost port, with the background jobs
(deadline ticker) running, on a throw-away SQLite file. Playwright drives the system Chromium
through ``executable_path``; where ``/usr/bin/chromium`` is missing (``.ci/run`` installs it
with apt-get) the tests skip and say why."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from peakguard.app import create_app
from peakguard.auth import service as auth
from peakguard.clock import SystemClock
from peakguard.db import Database
from tests.factories import ADMIN

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-pass"


@dataclass
class Server:
    url: str
    db: Database
    clock: SystemClock

    def user(self, username: str, role: str, client_id: int | None = None, token: bool = False) -> str:
        """Create a user; return its API token when asked (else the username)."""
        with self.db.transaction() as s:
            auth.create_user(
                s,
                ADMIN,
                self.clock.now(),
                username=username,
                password=PASSWORD,
                role=role,
                client_id=client_id,
            )
            if token:
                return auth.create_token(s, ADMIN, self.clock.now(), username=username, name="browser-test")
        return username


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("browser") / "peakguard.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    clock = SystemClock()
    app = create_app(db=db, clock=clock, run_background=True)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    started = time.monotonic()
    while not uv.started:  # waiting for the port to open, not timing anything
        if time.monotonic() - started > 120 or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Server(url=f"http://127.0.0.1:{port}", db=db, clock=clock)
    uv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
