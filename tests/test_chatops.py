"""Acting from the chat (issue 17, S3.4-S3.5) on SQLite and PostgreSQL with the injected clock:
callbacks signed exactly as DingTalk, Feishu and WeCom sign them act on an incident as the
person whose chat id is on the roster, through the incident services (timeline and audit as
that person); a forged, stale or replayed one is a 401, logged, and changes nothing.

The signers here are written from each platform's documentation, independently of
``peakguard.chatops.signatures``, so a verifier that drifted from the platform would fail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import struct
import xml.etree.ElementTree as ElementTree
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from peakguard.app import create_app
from peakguard.chatops.commands import BadCommand, parse
from peakguard.config import get_settings
from peakguard.incidents import lifecycle, reporting
from peakguard.incidents.models import Incident, PlaybookStep, TimelineEntry
from peakguard.notify.models import Notification
from peakguard.roster import service as roster
from tests.factories import ADMIN

DING_SECRET = "SECtest-dingtalk-app-secret-0123456789"
LARK_KEY = "lark-encrypt-key-for-tests"
LARK_TOKEN = "lark-verification-token"
WECOM_TOKEN = "wecomToken42"
WECOM_AES = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters, as WeCom gives
CORP = "ww0123456789abcdef"


@pytest.fixture
def chat(db, clock):  # type: ignore[no-untyped-def]
    settings = get_settings().model_copy(
        update={
            "chat_dingtalk_secret": SecretStr(DING_SECRET),
            "chat_feishu_encrypt_key": SecretStr(LARK_KEY),
            "chat_feishu_verification_token": SecretStr(LARK_TOKEN),
            "chat_wecom_token": SecretStr(WECOM_TOKEN),
            "chat_wecom_aes_key": SecretStr(WECOM_AES),
            "chat_wecom_corp_id": CORP,
        }
    )
    with TestClient(create_app(settings, db=db, clock=clock)) as c:
        yield c


@pytest.fixture
def wang(db, clock, plan) -> int:
    """A member on duty (no rotation: the whole role is on duty) with an id on each platform."""
    with db.transaction() as s:
        person = roster.add_person(s, ADMIN, clock.now(), plan, name="王芳", role="member")
        roster.set_contact(
            s, ADMIN, clock.now(), person.id,
            chat_ids={"dingtalk": "staff-wang", "wecom": "WangFang", "feishu": "ou_wang"},
        )  # fmt: skip
        return person.id


def open_incident(db, clock, plan, kind="complaint") -> int:
    with db.transaction() as s:
        return reporting.report(s, ADMIN, clock.now(), kind=kind, area="FZ-01", plan=plan).incident.id


def state(db, incident_id: int) -> tuple[str, str, list[tuple[str, str]]]:
    """(status, level, [(event, actor)] of the timeline after opening)."""
    with db.transaction() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None
        rows = s.scalars(
            select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.id)
        )
        return incident.status, incident.level, [(e.event, e.actor) for e in rows if e.event != "opened"]


# --- DingTalk: headers timestamp (ms) and sign = base64(HMAC-SHA256(secret, ts + "\n" + secret))


def dingtalk_headers(ms: int, secret: str = DING_SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode("utf-8"), f"{ms}\n{secret}".encode(), digestmod=hashlib.sha256)
    return {
        "timestamp": str(ms),
        "sign": base64.b64encode(mac.digest()).decode(),
        "Content-Type": "application/json",
    }


def dingtalk_body(text: str, staff: str = "staff-wang") -> bytes:
    return json.dumps(
        {
            "msgtype": "text",
            "text": {"content": text},
            "senderStaffId": staff,
            "senderId": "$:LWCP_v1:$abc",
            "senderNick": "王芳",
            "conversationType": "2",
        }
    ).encode()


def now_ms(clock) -> int:
    return int(clock.now().timestamp() * 1000)


def test_a_signed_dingtalk_message_acknowledges_as_the_person(chat, db, clock, plan, wang):
    number = open_incident(db, clock, plan)
    r = chat.post(
        "/api/v1/chat/dingtalk",
        content=dingtalk_body(f"@PeakGuard ack {number}"),
        headers=dingtalk_headers(now_ms(clock)),
    )
    assert r.status_code == 200, r.text
    assert r.json()["msgtype"] == "text" and f"#{number}" in r.json()["text"]["content"]
    status, _, timeline = state(db, number)
    assert status == "acknowledged" and ("acknowledged", "王芳") in timeline


def test_a_forged_stale_or_replayed_dingtalk_callback_is_401_and_changes_nothing(
    chat, db, clock, plan, wang, caplog
):
    number = open_incident(db, clock, plan)
    body = dingtalk_body(f"ack {number}")
    caplog.set_level(logging.WARNING, logger="peakguard.chatops.api")
    forged = dingtalk_headers(now_ms(clock), secret="SECnot-the-real-secret")
    stale = dingtalk_headers(now_ms(clock) - 3_601_000)  # signed right, but more than an hour old
    for headers in (forged, stale, {"Content-Type": "application/json"}):
        r = chat.post("/api/v1/chat/dingtalk", content=body, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert state(db, number) == ("open", "L3", [])
    assert sum("dingtalk callback refused" in m for m in caplog.messages) == 3
    # A genuine request captured and sent again carries another command: refused, once used.
    headers = dingtalk_headers(now_ms(clock))
    assert (
        chat.post(
            "/api/v1/chat/dingtalk", content=dingtalk_body(f"step {number}"), headers=headers
        ).status_code
        == 200
    )
    replay = chat.post("/api/v1/chat/dingtalk", content=dingtalk_body(f"ack {number}"), headers=headers)
    assert replay.status_code == 401
    assert state(db, number)[0] == "open"


def test_an_unknown_chat_user_is_told_and_nothing_changes(chat, db, clock, plan, wang):
    number = open_incident(db, clock, plan)
    r = chat.post(
        "/api/v1/chat/dingtalk",
        content=dingtalk_body(f"ack {number}", staff="stranger"),
        headers=dingtalk_headers(now_ms(clock)),
    )
    assert r.status_code == 200 and "stranger" in r.json()["text"]["content"]
    assert state(db, number) == ("open", "L3", [])


def test_without_secrets_every_platform_refuses(client, db, clock, plan, wang):
    number = open_incident(db, clock, plan)
    r = client.post(
        "/api/v1/chat/dingtalk",
        content=dingtalk_body(f"ack {number}"),
        headers=dingtalk_headers(now_ms(clock)),
    )
    assert r.status_code == 401
    assert client.post("/api/v1/chat/feishu", content=b"{}").status_code == 401
    assert client.post("/api/v1/chat/wecom", content=b"<xml/>").status_code == 401
    assert state(db, number)[0] == "open"


# --- Feishu: X-Lark-Signature = hex(sha256(timestamp + nonce + encrypt_key + body)); optional
# AES-256-CBC "encrypt" with key sha256(encrypt_key) and the IV in front.


def lark_headers(body: bytes, seconds: int, key: str = LARK_KEY, nonce: str = "n0nce") -> dict[str, str]:
    digest = hashlib.sha256((str(seconds) + nonce + key).encode() + body).hexdigest()
    return {
        "X-Lark-Request-Timestamp": str(seconds),
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": digest,
        "Content-Type": "application/json",
    }


def lark_encrypt(event: dict, key: str = LARK_KEY) -> bytes:
    padder = padding.PKCS7(128).padder()
    data = padder.update(json.dumps(event).encode()) + padder.finalize()
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)).encryptor()
    return json.dumps(
        {"encrypt": base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()}
    ).encode()


def lark_event(event_type: str, event: dict, event_id: str) -> dict:
    header = {"event_id": event_id, "event_type": event_type, "token": LARK_TOKEN, "app_id": "cli_test"}
    return {"schema": "2.0", "header": header, "event": event}


def lark_message(text: str, event_id: str, open_id: str = "ou_wang") -> dict:
    message = {
        "message_id": "om_1",
        "message_type": "text",
        "content": json.dumps({"text": f"@_user_1 {text}"}),
    }
    return lark_event(
        "im.message.receive_v1", {"sender": {"sender_id": {"open_id": open_id}}, "message": message}, event_id
    )


def seconds(clock) -> int:
    return int(clock.now().timestamp())


def test_feishu_url_check_plain_and_encrypted(chat):
    plain = {"challenge": "ajls384kdjx98XX", "token": LARK_TOKEN, "type": "url_verification"}
    assert chat.post("/api/v1/chat/feishu", json=plain).json() == {"challenge": "ajls384kdjx98XX"}
    encrypted = lark_encrypt(plain)
    r = chat.post("/api/v1/chat/feishu", content=encrypted, headers={"Content-Type": "application/json"})
    assert r.json() == {"challenge": "ajls384kdjx98XX"}
    wrong = {**plain, "token": "guessed"}
    assert chat.post("/api/v1/chat/feishu", json=wrong).status_code == 401


def test_feishu_message_resolves_and_card_button_ticks_the_next_step(chat, db, clock, plan, wang):
    number = open_incident(db, clock, plan)
    body = json.dumps(lark_message(f"step {number}", "ev-1")).encode()
    r = chat.post("/api/v1/chat/feishu", content=body, headers=lark_headers(body, seconds(clock)))
    assert r.status_code == 200 and "1" in r.json()["reply"]
    button = lark_event(
        "card.action.trigger",
        {
            "operator": {"open_id": "ou_wang"},
            "action": {"tag": "button", "value": {"command": f"step {number}"}},
        },
        "ev-2",
    )
    body = lark_encrypt(button)  # encryption on: the signature covers the encrypted body
    r = chat.post("/api/v1/chat/feishu", content=body, headers=lark_headers(body, seconds(clock)))
    assert r.status_code == 200 and "toast" in r.json()
    again = chat.post(
        "/api/v1/chat/feishu", content=body, headers=lark_headers(body, seconds(clock), nonce="retry")
    )
    assert again.status_code == 200 and again.json() == {}  # Feishu's retry of ev-2: acted on once
    body = json.dumps(lark_message(f"resolve {number} 补派两车，积压已清", "ev-3")).encode()
    assert (
        chat.post("/api/v1/chat/feishu", content=body, headers=lark_headers(body, seconds(clock))).status_code
        == 200
    )
    with db.transaction() as s:
        steps = s.scalars(
            select(PlaybookStep.state)
            .where(PlaybookStep.incident_id == number)
            .order_by(PlaybookStep.position)
        )
        assert list(steps)[:3] == ["done", "done", "pending"]
        incident = s.get(Incident, number)
        assert incident is not None and incident.result_report == "补派两车，积压已清"
    status, _, timeline = state(db, number)
    assert status == "resolved" and timeline.count(("step", "王芳")) == 2 and ("resolved", "王芳") in timeline
    with db.transaction() as s:  # Feishu shows nothing of a message's answer: it is sent to her
        replies = s.scalars(
            select(Notification.body).where(Notification.event == "chat_reply").order_by(Notification.id)
        )
        assert list(replies) == [
            f"事件 #{number}：第 1 步已完成（查明原因）。",
            f"事件 #{number} 已由王芳解决。",
        ]


def test_a_forged_or_stale_feishu_event_is_401_and_changes_nothing(chat, db, clock, plan, wang):
    number = open_incident(db, clock, plan)
    body = json.dumps(lark_message(f"ack {number}", "ev-9")).encode()
    for headers in (
        lark_headers(body, seconds(clock), key="not-our-key"),
        lark_headers(body, seconds(clock) - 301),
        {"Content-Type": "application/json"},
    ):
        assert chat.post("/api/v1/chat/feishu", content=body, headers=headers).status_code == 401
    tampered = body.replace(b"ack", b"raise")
    assert (
        chat.post(
            "/api/v1/chat/feishu", content=tampered, headers=lark_headers(body, seconds(clock))
        ).status_code
        == 401
    )
    assert state(db, number) == ("open", "L3", [])


def test_feishu_raise_needs_a_reason_and_goes_one_level_up(chat, db, clock, plan, wang):
    number = open_incident(db, clock, plan)
    body = json.dumps(lark_message(f"raise {number}", "ev-20")).encode()
    r = chat.post("/api/v1/chat/feishu", content=body, headers=lark_headers(body, seconds(clock)))
    assert "reason" in r.json()["reply"] or "原因" in r.json()["reply"]
    assert state(db, number)[1] == "L3"
    body = lark_encrypt(lark_message(f"升级 {number} 蔓延到两个片区", "ev-21"))
    assert (
        chat.post("/api/v1/chat/feishu", content=body, headers=lark_headers(body, seconds(clock))).status_code
        == 200
    )
    with db.transaction() as s:
        entry = s.scalars(
            select(TimelineEntry).where(
                TimelineEntry.incident_id == number, TimelineEntry.event == "level_changed"
            )
        ).one()
        assert (
            entry.actor == "王芳"
            and entry.detail["reason"] == "蔓延到两个片区"
            and entry.detail["new"] == "L2"
        )


# --- WeCom: msg_signature = sha1(sorted(token, timestamp, nonce, encrypt)); AES-256-CBC with
# key = b64decode(EncodingAESKey + "="), IV = key[:16], PKCS#7 to 32 bytes, plaintext = 16 random
# bytes + 4-byte big-endian length + message + CorpID.


def wecom_encrypt(message: str, corp: str = CORP) -> str:
    key = base64.b64decode(WECOM_AES + "=")
    raw = message.encode()
    plain = os.urandom(16) + struct.pack("!I", len(raw)) + raw + corp.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def wecom_open(encrypted: str) -> str:
    key = base64.b64decode(WECOM_AES + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack("!I", plain[16:20])
    assert plain[20 + length :] == CORP.encode()
    return plain[20 : 20 + length].decode()


def wecom_query(
    encrypted: str, seconds_: int, token: str = WECOM_TOKEN, nonce: str = "1372623149"
) -> dict[str, str]:
    signature = hashlib.sha1("".join(sorted([token, str(seconds_), nonce, encrypted])).encode()).hexdigest()
    return {"msg_signature": signature, "timestamp": str(seconds_), "nonce": nonce}


def wecom_xml(encrypted: str) -> bytes:
    return f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()


def wecom_text(text: str, user: str = "WangFang") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        "<MsgId>1234567890123456</MsgId><AgentID>1000002</AgentID></xml>"
    )


def test_wecom_url_check_answers_the_decrypted_echostr(chat, clock):
    echostr = wecom_encrypt("1616140317555161061")
    r = chat.get("/api/v1/chat/wecom", params={**wecom_query(echostr, seconds(clock)), "echostr": echostr})
    assert r.status_code == 200 and r.text == "1616140317555161061"
    bad = chat.get(
        "/api/v1/chat/wecom",
        params={**wecom_query(echostr, seconds(clock), token="nope"), "echostr": echostr},
    )
    assert bad.status_code == 401


def test_a_signed_wecom_command_acknowledges_and_a_forged_one_changes_nothing(chat, db, clock, plan, wang):
    number = open_incident(db, clock, plan)
    forged = wecom_encrypt(wecom_text(f"ack {number}"))
    for query in (
        wecom_query(forged, seconds(clock), token="guessed"),
        wecom_query(forged, seconds(clock) - 600),
    ):
        assert chat.post("/api/v1/chat/wecom", params=query, content=wecom_xml(forged)).status_code == 401
    elsewhere = wecom_encrypt(wecom_text(f"ack {number}"), corp="ww-another-corp")
    assert (
        chat.post(
            "/api/v1/chat/wecom", params=wecom_query(elsewhere, seconds(clock)), content=wecom_xml(elsewhere)
        ).status_code
        == 401
    )
    assert state(db, number) == ("open", "L3", [])
    encrypted = wecom_encrypt(wecom_text(f"确认 #{number}"))
    r = chat.post(
        "/api/v1/chat/wecom", params=wecom_query(encrypted, seconds(clock)), content=wecom_xml(encrypted)
    )
    assert r.status_code == 200
    reply = ElementTree.fromstring(r.text)  # the passive reply, signed and encrypted as WeCom expects
    sent = reply.findtext("Encrypt") or ""
    stamp, nonce = reply.findtext("TimeStamp") or "", reply.findtext("Nonce") or ""
    assert (
        reply.findtext("MsgSignature")
        == hashlib.sha1("".join(sorted([WECOM_TOKEN, stamp, nonce, sent])).encode()).hexdigest()
    )
    answer = ElementTree.fromstring(wecom_open(sent))
    assert (
        answer.findtext("ToUserName") == "WangFang"
        and answer.findtext("Content") == f"事件 #{number} 已由王芳接手。"
    )
    status, _, timeline = state(db, number)
    assert status == "acknowledged" and timeline == [("acknowledged", "王芳")]


def test_a_chat_body_over_64_kib_is_refused_before_it_is_read(chat):
    r = chat.post(
        "/api/v1/chat/dingtalk", content=b"x" * (64 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_commands_in_english_and_chinese():
    assert parse("@PeakGuard ack 12").incident_id == 12
    assert parse("确认　#7").action == "ack"
    assert parse("resolve 3 scanner restarted").text == "scanner restarted"
    assert parse("步骤 4").action == "step"
    with pytest.raises(BadCommand):
        parse("resolve 3")
    with pytest.raises(BadCommand):
        parse("dance 3")
    with pytest.raises(BadCommand):
        parse("ack")


def test_a_chat_id_belongs_to_one_person(db, clock, plan, wang):
    from peakguard.errors import Conflict

    with db.transaction() as s:
        other = roster.add_person(s, ADMIN, clock.now(), plan, name="李明", role="member")
        with pytest.raises(Conflict):
            roster.set_contact(s, ADMIN, clock.now(), other.id, chat_ids={"dingtalk": "staff-wang"})


def test_a_failed_command_rolls_back_and_says_why(chat, db, clock, plan, wang):
    number = open_incident(db, clock, plan)
    with db.transaction() as s:
        lifecycle.acknowledge(s, ADMIN, clock.now() + timedelta(minutes=1), number)
    r = chat.post(
        "/api/v1/chat/dingtalk",
        content=dingtalk_body(f"ack {number}"),
        headers=dingtalk_headers(now_ms(clock)),
    )
    assert r.status_code == 200 and "状态为已接手" in r.json()["text"]["content"]
    assert state(db, number)[2] == [("acknowledged", "test:admin")]


def test_the_roster_page_shows_chat_ids_and_quiet_hours(client, db, clock, plan, wang):
    from tests.factories import login, make_user

    with db.transaction() as s:
        roster.set_contact(s, ADMIN, clock.now(), wang, chat_ids={}, quiet_hours="22:00-07:00")
    login(client, make_user(db, clock, "viewer"))
    page = client.get("/admin/roster").text
    assert "钉钉 staff-wang" in page and "企业微信 WangFang" in page and "飞书 ou_wang" in page
    assert "免打扰 22:00-07:00" in page
