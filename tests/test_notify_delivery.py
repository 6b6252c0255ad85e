"""Delivering the outbox over real peers: a local SMTP server and a local HTTP webhook receiver.
Retry with back-off, then the next on-duty contact of the same role (issue 6, S3.4)."""

from __future__ import annotations

import json
import threading
from email import message_from_string
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from peakguard.clock import FrozenClock
from peakguard.incidents import reporting
from peakguard.notify.delivery import deliver_due
from peakguard.notify.models import Notification
from peakguard.roster import service as roster
from tests.conftest import START
from tests.factories import ADMIN
from tests.test_restart import free_port


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, server.server_address[1]
    server.shutdown()


def subject(raw: str) -> str:
    return str(make_header(decode_header(message_from_string(raw)["Subject"])))


def test_an_incident_reaches_the_member_by_mail_and_the_deputy_by_webhook(db, clock, plan, smtp, webhook):
    box, smtp_port = smtp
    hooks, hook_port = webhook
    with db.transaction() as s:
        roster.add_person(
            s,
            ADMIN,
            clock.now(),
            plan,
            name="李明",
            role="member",
            channels=[f"mailto://127.0.0.1:{smtp_port}?from=pg@example.com&to=li@example.com"],
        )
        roster.add_person(
            s,
            ADMIN,
            clock.now(),
            plan,
            name="Wang",
            role="deputy",
            language="en",
            channels=[f"json://127.0.0.1:{hook_port}/hook"],
        )
        reporting.report(s, ADMIN, clock.now(), kind="backlog", area="FZ-01", count=25, plan=plan)
    with db.transaction() as s:
        done = deliver_due(s, clock.now())
    assert (done.sent, done.failed) == (2, 0)
    assert (
        len(box.messages) == 1
        and "FZ-01" in subject(box.messages[0])
        and "新事件" in subject(box.messages[0])
    )
    assert len(hooks) == 1 and "New incident" in hooks[0]["title"] and "FZ-01" in hooks[0]["title"]
    with db.transaction() as s:
        assert {n.status for n in s.scalars(select(Notification))} == {"sent"}
        assert deliver_due(s, clock.now()).sent == 0  # nothing is sent twice


def test_retry_with_back_off_then_the_next_contact_of_the_role(db, clock, plan, smtp):
    box, smtp_port = smtp
    dead = f"json://127.0.0.1:{free_port()}/nobody-listens"
    with db.transaction() as s:
        roster.add_person(
            s, ADMIN, clock.now(), plan, name="Dead phone", role="member", channels=[dead], priority=1
        )
        roster.add_person(
            s,
            ADMIN,
            clock.now(),
            plan,
            name="Backup",
            role="member",
            priority=2,
            channels=[f"mailto://127.0.0.1:{smtp_port}?from=pg@example.com&to=b@example.com"],
        )
        reporting.report(s, ADMIN, clock.now(), kind="delay", area="FZ-01", plan=plan)
    # The incident's first message went to each member on duty; drop the backup's copy to watch
    # the hand-on alone.
    with db.transaction() as s:
        backup_copy = s.scalars(select(Notification).where(Notification.person_id == 2)).one()
        backup_copy.status = "sent"
    for minutes, expected in ((0, "retried"), (1, "retried"), (5, "failed")):
        clock.advance(minutes=minutes)
        with db.transaction() as s:
            done = deliver_due(s, clock.now())
        assert getattr(done, expected) == 1, (minutes, done)
    with db.transaction() as s:
        first = s.scalars(select(Notification).where(Notification.person_id == 1)).one()
        assert (first.status, first.attempts) == ("failed", 3)
        assert "json://127.0.0.1" in (first.last_error or "") and "nobody-listens" not in (
            first.last_error or ""
        )
        done = deliver_due(s, clock.now())
    assert done.sent == 1 and len(box.messages) == 1


def test_a_test_message_from_the_cli_reaches_the_webhook_and_shows_in_the_log(db_url, webhook):
    """Proving a person's channel before the day: `peakguard notify test`, then the delivery log
    over the CLI, the API and the admin page."""
    import os
    import subprocess
    import sys

    from fastapi.testclient import TestClient

    from peakguard.app import create_app
    from peakguard.db import Database
    from peakguard.plan.service import load_plan
    from tests.factories import login, make_user

    hooks, port = webhook
    db = Database(db_url)
    with db.transaction() as s:
        person = roster.add_person(
            s,
            ADMIN,
            START,
            load_plan(),
            name="Wang",
            role="deputy",
            language="en",
            channels=[f"json://127.0.0.1:{port}/hook"],
        ).id
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "peakguard.cli", *args], env=env, capture_output=True, text=True
        )

    sent = cli("notify", "test", str(person))
    assert sent.returncode == 0 and "sent" in sent.stdout
    assert len(hooks) == 1 and hooks[0]["title"] == "PeakGuard test message" and "Wang" in hooks[0]["message"]
    assert "test" in cli("notify", "list").stdout
    with TestClient(create_app(db=db)) as client:
        login(client, make_user(db, FrozenClock(START), "leader"))
        rows = client.get("/api/v1/notifications?status=sent").json()
        assert [(r["event"], r["person_id"]) for r in rows] == [("test", person)]
        page = client.get("/admin/notifications").text
        assert "PeakGuard test message" in page and 'class="tag delivery sent"' in page
    db.dispose()
    with_dead = cli("notify", "test", "999")
    assert with_dead.returncode == 2
