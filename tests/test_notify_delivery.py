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

from peakguard.incidents import service as incidents
from peakguard.notify.delivery import deliver_due
from peakguard.notify.models import Notification
from peakguard.roster import service as roster
from tests.conftest import ADMIN
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
        incidents.report(s, ADMIN, clock.now(), kind="backlog", area="FZ-01", count=25, plan=plan)
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
        incidents.report(s, ADMIN, clock.now(), kind="delay", area="FZ-01", plan=plan)
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
