"""Phone and SMS (issue 17) on SQLite and PostgreSQL with the injected clock: a person's
channels are tried in their own order; a phone call or SMS only for incidents of L2 and above,
never in the person's quiet hours (their local time) unless the level breaks them (L1,
special); a message that no allowed channel can take goes to the next person on duty; a
message about an incident sent to a chat carries the commands that act on it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import apprise
import pytest
from sqlalchemy import select

from peakguard.chatops.cards import dingtalk_action_card, send_dingtalk_card
from peakguard.incidents import reporting
from peakguard.notify import service as notify
from peakguard.notify.channels import PHONE_SMS
from peakguard.notify.delivery import deliver_due
from peakguard.notify.models import Notification
from peakguard.roster import service as roster
from tests.factories import ADMIN

SMS = "twilio://AC0123456789abcdef0123456789abcdef:0123456789abcdef0123456789abcdef@15551234567/15557654321"
CALL = SMS + "?method=call"
HOOK = "json://127.0.0.1:9/hook"
DING = "dingtalk://0123456789abcdef0123456789abcdef/"
LARK = "feishu://0123456789abcdef0123456789abcdef"
NIGHT = datetime(2026, 11, 11, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai, 15:30 in London
MORNING = datetime(2026, 11, 11, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai


def add(db, clock, plan, name, channels, quiet=None, zone=None) -> int:
    with db.transaction() as s:
        person = roster.add_person(s, ADMIN, clock.now(), plan, name=name, role="member", channels=channels)
        roster.set_contact(s, ADMIN, clock.now(), person.id, chat_ids={}, quiet_hours=quiet, timezone=zone)
        return person.id


def message(db, person_id, level, at, event="page", incident_id=None) -> int:
    with db.transaction() as s:
        row = notify.enqueue_person(
            s, at, event=event, person=roster.get_person(s, person_id), level=level,
            incident_id=incident_id, render=lambda language: ("subject", "body"),
        )  # fmt: skip
        s.flush()
        return row.id


def deliver(db, at, plan) -> list[tuple[str, str]]:
    """(channel, body) of every send (a DingTalk card's body is its JSON); every channel accepts."""
    sent: list[tuple[str, str]] = []

    def send(url: str, title: str, body: str) -> bool:
        sent.append((url, body))
        return True

    def send_card(url: str, card: dict) -> bool:
        sent.append((url, json.dumps(card, ensure_ascii=False)))
        return True

    with db.transaction() as s:
        deliver_due(s, at, send, plan, send_card)
    return sent


def channels(sent: list[tuple[str, str]]) -> list[str]:
    return [url for url, _ in sent]


def test_phone_and_sms_only_from_l2_in_the_persons_order(db, clock, plan):
    wang = add(db, clock, plan, "王芳", [SMS, HOOK])
    message(db, wang, "L3", MORNING)
    assert channels(deliver(db, MORNING, plan)) == [HOOK]
    message(db, wang, "L2", MORNING)
    assert channels(deliver(db, MORNING, plan)) == [SMS]
    message(db, wang, None, MORNING, event="handover")  # not about an incident: no phone
    assert channels(deliver(db, MORNING, plan)) == [HOOK]
    message(db, wang, None, MORNING, event="test")  # a test message proves every channel
    assert channels(deliver(db, MORNING, plan)) == [SMS]


def test_quiet_hours_in_local_time_and_the_levels_that_break_them(db, clock, plan):
    wang = add(db, clock, plan, "王芳", [CALL, HOOK], quiet="22:00-07:00")
    message(db, wang, "L2", NIGHT)
    assert channels(deliver(db, NIGHT, plan)) == [HOOK]  # 23:30 Shanghai: no call for L2
    message(db, wang, "L1", NIGHT)
    assert channels(deliver(db, NIGHT, plan)) == [CALL]  # L1 breaks quiet hours
    message(db, wang, "special", NIGHT)
    assert channels(deliver(db, NIGHT, plan)) == [CALL]
    message(db, wang, "L2", MORNING)
    assert channels(deliver(db, MORNING, plan)) == [CALL]  # 07:00 is after the quiet hours
    li = add(db, clock, plan, "Li", [CALL, HOOK], quiet="22:00-07:00", zone="Europe/London")
    message(db, li, "L2", NIGHT)
    assert channels(deliver(db, NIGHT, plan)) == [CALL]  # 15:30 in London: not quiet for him


def test_a_message_no_allowed_channel_can_take_goes_to_the_next_person(db, clock, plan):
    wang = add(db, clock, plan, "王芳", [SMS], quiet="22:00-07:00")
    li = add(db, clock, plan, "李明", [HOOK])
    first = message(db, wang, "L2", NIGHT)
    assert channels(deliver(db, NIGHT, plan)) == []
    with db.transaction() as s:
        failed = s.get(Notification, first)
        assert failed is not None and failed.status == "failed"
        assert failed.last_error is not None and "quiet hours 22:00-07:00 (Asia/Shanghai)" in failed.last_error
        copy = s.scalars(select(Notification).where(Notification.person_id == li)).one()
        assert copy.level == "L2" and copy.status == "pending"
    assert channels(deliver(db, NIGHT, plan)) == [HOOK]


def test_an_incidents_messages_carry_its_level_and_chats_get_the_commands(db, clock, plan):
    wang = add(db, clock, plan, "王芳", [DING])
    add(db, clock, plan, "李明", [HOOK])  # a member whose messages go to a webhook
    add(db, clock, plan, "赵磊", [LARK])  # and one on Feishu
    with db.transaction() as s:
        number = reporting.report(s, ADMIN, clock.now(), kind="complaint", area="FZ-01", plan=plan).incident.id
        reporting.set_level(s, ADMIN, clock.now(), number, "L2", "两个片区投诉", plan=plan)
    with db.transaction() as s:
        levels = {n.event: n.level for n in notify.for_incident(s, number) if n.person_id == wang}
    assert levels["opened"] == "L3" and levels["level_changed"] == "L2"
    sent = deliver(db, clock.now(), plan)
    cards = [json.loads(body) for url, body in sent if url == DING]
    assert cards and all(card["msgtype"] == "actionCard" for card in cards)
    links = [b["actionURL"] for b in cards[0]["actionCard"]["btns"]]
    assert links[0] == f"dtmd://dingtalkclient/sendMessage?content=ack%20{number}"
    assert f"content=step%20{number}" in links[1] and f"content=resolve%20{number}%20" in links[2]
    to_lark = [body for url, body in sent if url == LARK]
    assert to_lark and all(f"确认 {number}" in body and f"升级 {number} <原因>" in body for body in to_lark)
    to_hook = [body for url, body in sent if url == HOOK]
    assert to_hook and all("确认" not in body for body in to_hook)


def test_every_phone_and_sms_schema_is_one_the_installed_apprise_has():
    known = set()
    for schema in apprise.Apprise().details()["schemas"]:
        known.update(schema.get("protocols") or ())
        known.update(schema.get("secure_protocols") or ())
    assert not PHONE_SMS - known, PHONE_SMS - known


@pytest.mark.parametrize("hours", ["22:00", "25:00-07:00", "07:00-07:00", "7:00-8:00"])
def test_bad_quiet_hours_are_refused_naming_the_field(db, clock, plan, hours):
    from peakguard.errors import InvalidInput

    wang = add(db, clock, plan, "王芳", [HOOK])
    with db.transaction() as s, pytest.raises(InvalidInput, match="quiet_hours"):
        roster.set_contact(s, ADMIN, clock.now(), wang, chat_ids={}, quiet_hours=hours)


def test_the_route_over_the_api_says_why_a_channel_is_skipped(client, db, clock, plan, headers_for):
    wang = add(db, clock, plan, "王芳", [CALL, HOOK], quiet="22:00-07:00")
    reader = headers_for("member")
    r = client.get(f"/api/v1/notifications/route?person_id={wang}&level=L2&at=2026-11-11T15:30:00Z", headers=reader)
    assert r.status_code == 200
    assert r.json() == [
        {"channel": "twilio://15551234567", "use": False, "why": "quiet hours 22:00-07:00 (Asia/Shanghai)"},
        {"channel": "json://127.0.0.1:9", "use": True, "why": ""},
    ]
    r = client.get(f"/api/v1/notifications/route?person_id={wang}&level=L3", headers=reader)
    assert r.json()[0] == {"channel": "twilio://15551234567", "use": False, "why": "phone and SMS from L2 up"}
    assert client.get(f"/api/v1/notifications/route?person_id={wang}&level=L9", headers=reader).status_code in (404, 422)


def test_the_action_card_reaches_the_robot_signed_as_dingtalk_requires():
    """A local HTTP server stands in for DingTalk's robot API and checks the signature as
    DingTalk documents it: HMAC-SHA256(secret, timestamp + "\\n" + secret), base64, URL-quoted."""
    received: list[tuple[dict, dict]] = []
    secret = "SEC0123456789abcdef"

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            query = parse_qs(urlparse(self.path).query)
            received.append((query, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            timestamp = query["timestamp"][0]
            mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
            ok = query["sign"][0] == base64.b64encode(mac).decode() and query["access_token"] == ["0123456789abcdef0123456789abcdef"]
            answer = json.dumps({"errcode": 0 if ok else 310000, "errmsg": "ok" if ok else "sign not match"})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        card = dingtalk_action_card("[二级] 事件 #7", "福州-07 快件积压", "zh_CN", 7)
        assert send_dingtalk_card(f"dingtalk://{secret}@0123456789abcdef0123456789abcdef/", card, base=base)
        assert not send_dingtalk_card("dingtalk://SECfedcba9876543210@0123456789abcdef0123456789abcdef/", card, base=base)
    finally:
        server.shutdown()
    assert len(received) == 2  # the second was refused by the robot for its signature
    query, body = received[0]
    assert body["actionCard"]["title"] == "[二级] 事件 #7"
    assert [b["title"] for b in body["actionCard"]["btns"]] == ["确认接手", "完成下一步", "解决……", "升级……"]
