"""The chat platforms' callbacks (issue 17): ``POST /api/v1/chat/dingtalk``, ``/feishu`` and
``/wecom`` (with ``GET /wecom`` for WeCom's URL check).

These routes carry no PeakGuard token: the platform's documented signature is the credential
(``chatops.signatures``), checked against the secrets set in the environment before anything in
the body is believed. A bad, missing or stale signature, or a replayed request, is answered 401
and logged, and nothing changes. A platform whose secrets are not set refuses everything. The
request gate lets these paths through unauthenticated, with a 64 KiB body cap (``gate.py``).

Platforms stamp requests with real time, so the timestamp is checked against the server's
clock, except in a drill on simulated time (``PEAKGUARD_CLOCK_START``), where it is checked
against the wall clock; the incident is still acted on at the server's (simulated) time."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import SecretStr
from starlette.datastructures import Headers

from peakguard.chatops import service
from peakguard.chatops.signatures import (
    BadSignature,
    feishu_decrypt,
    verify_dingtalk,
    verify_feishu,
    verify_wecom,
    wecom_decrypt,
    wecom_encrypt,
    wecom_signature,
)
from peakguard.clock import ScaledClock, SystemClock
from peakguard.config import Settings
from peakguard.deps import ClockDep, SessionDep
from peakguard.errors import Unauthorized
from peakguard.limits import Term

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])
log = logging.getLogger(__name__)
ENCRYPT = re.compile(rb"<Encrypt>\s*<!\[CDATA\[([A-Za-z0-9+/=]{1,60000})\]\]>\s*</Encrypt>")


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signatures cover these bytes."""
    return await request.body()


async def platform_now(clock: ClockDep) -> datetime:
    return SystemClock().now() if isinstance(clock, ScaledClock) else clock.now()


RawBody = Annotated[bytes, Depends(raw_body)]
CheckedAt = Annotated[datetime, Depends(platform_now)]
"""The time a platform's signed timestamp is checked against: real time, even in a scaled demo."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def refuse(platform: str, reason: str) -> Unauthorized:
    log.warning("chat %s callback refused: %s", platform, reason)
    return Unauthorized("the request is not signed by the chat platform", field="signature")


def secret(value: SecretStr | str | None, platform: str, name: str) -> str:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not text:
        raise refuse(platform, f"{name} is not set, so nothing from {platform} is accepted")
    return text


@router.post("/dingtalk")
def dingtalk(
    request: Request,
    body: RawBody,
    session: SessionDep,
    clock: ClockDep,
    checked_at: CheckedAt,
) -> dict[str, Any]:
    """DingTalk's outgoing robot: a text message @-ing the robot. The reply shows in the chat."""
    key = secret(_settings(request).chat_dingtalk_secret, "dingtalk", "PEAKGUARD_CHAT_DINGTALK_SECRET")
    sign = request.headers.get("sign")
    try:
        verify_dingtalk(key, request.headers.get("timestamp"), sign, checked_at)
        payload = _json(body)
    except BadSignature as exc:
        raise refuse("dingtalk", str(exc)) from exc
    assert sign is not None
    if not service.first_time(session, "dingtalk", sign, checked_at):
        raise refuse("dingtalk", "this sign was already used (replayed request)")
    text = _str(_dict(payload.get("text")).get("content"))
    users = [_str(payload.get("senderStaffId")), _str(payload.get("senderId"))]
    reply = service.act(session, clock.now(), "dingtalk", users, text)
    return {"msgtype": "text", "text": {"content": reply}}


@router.post("/feishu")
def feishu(
    request: Request,
    body: RawBody,
    session: SessionDep,
    clock: ClockDep,
    checked_at: CheckedAt,
) -> dict[str, Any]:
    """Feishu's event callback: the URL check (``challenge``), a message to the bot
    (``im.message.receive_v1``) and a card button (``card.action.trigger``)."""
    settings = _settings(request)
    key = secret(settings.chat_feishu_encrypt_key, "feishu", "PEAKGUARD_CHAT_FEISHU_ENCRYPT_KEY")
    token = settings.chat_feishu_verification_token
    try:
        event = _feishu_event(key, token, request.headers, body, checked_at)
    except BadSignature as exc:
        raise refuse("feishu", str(exc)) from exc
    if event.get("type") == "url_verification":
        return {"challenge": _str(event.get("challenge"))}
    header = _dict(event.get("header"))
    event_id = _str(header.get("event_id")) or _str(event.get("uuid")) or hashlib.sha256(body).hexdigest()
    if not service.first_time(session, "feishu", event_id, checked_at):
        return {}  # Feishu delivers again when unsure; the first delivery was acted on
    detail = _dict(event.get("event"))
    kind = _str(header.get("event_type"))
    if kind == "im.message.receive_v1":
        sender = _dict(_dict(detail.get("sender")).get("sender_id"))
        message = _dict(detail.get("message"))
        text = _str(_loads(_str(message.get("content"))).get("text"))
        users = [_str(sender.get(k)) for k in ("open_id", "user_id", "union_id")]
        return {"reply": service.act(session, clock.now(), "feishu", users, text, reply_by_message=True)}
    if kind == "card.action.trigger":
        operator = _dict(detail.get("operator"))
        text = _str(_dict(_dict(detail.get("action")).get("value")).get("command"))
        users = [_str(operator.get(k)) for k in ("open_id", "user_id", "union_id")]
        reply = service.act(session, clock.now(), "feishu", users, text)
        return {"toast": {"type": "info", "content": reply}}
    return {}


@router.get("/wecom", response_class=PlainTextResponse)
def wecom_check(
    request: Request,
    checked_at: CheckedAt,
    msg_signature: Term | None = None,
    timestamp: Term | None = None,
    nonce: Term | None = None,
    echostr: str | None = Query(None, max_length=2048),
) -> str:
    """WeCom's URL check: the decrypted ``echostr`` proves we hold the Token and the key."""
    token, aes_key, corp_id = _wecom_secrets(_settings(request))
    try:
        verify_wecom(token, timestamp, nonce, msg_signature, echostr, checked_at)
        assert echostr is not None  # verify_wecom refuses a missing one
        return wecom_decrypt(aes_key, corp_id, echostr)
    except BadSignature as exc:
        raise refuse("wecom", str(exc)) from exc


@router.post("/wecom", response_class=PlainTextResponse)
def wecom(
    request: Request,
    body: RawBody,
    session: SessionDep,
    clock: ClockDep,
    checked_at: CheckedAt,
    msg_signature: Term | None = None,
    timestamp: Term | None = None,
    nonce: Term | None = None,
) -> str:
    """A message to the WeCom app (a text command, or a template card's button, whose key is
    the command). The answer goes back as WeCom's encrypted passive reply."""
    token, aes_key, corp_id = _wecom_secrets(_settings(request))
    found = ENCRYPT.search(body)  # the signature covers this field; the XML is read once decrypted
    try:
        encrypted = found.group(1).decode() if found else None
        verify_wecom(token, timestamp, nonce, msg_signature, encrypted, checked_at)
        assert encrypted is not None
        message = ElementTree.fromstring(wecom_decrypt(aes_key, corp_id, encrypted))
    except (BadSignature, ElementTree.ParseError) as exc:
        raise refuse("wecom", str(exc)) from exc
    assert msg_signature is not None
    if not service.first_time(session, "wecom", msg_signature, checked_at):
        raise refuse("wecom", "this msg_signature was already used (replayed request)")
    kind = message.findtext("MsgType") or ""
    text = message.findtext("Content") if kind == "text" else message.findtext("EventKey")
    if not text:
        return ""
    user = message.findtext("FromUserName") or ""
    reply = service.act(session, clock.now(), "wecom", [user], text)
    return wecom_reply(token, aes_key, corp_id, user, reply, clock.now())


def wecom_reply(token: str, aes_key: str, corp_id: str, user: str, text: str, now: datetime) -> str:
    """WeCom's passive reply: the answer as an encrypted, signed text message to the sender."""
    inner = ElementTree.Element("xml")
    for tag, value in (
        ("ToUserName", user), ("FromUserName", corp_id), ("CreateTime", str(int(now.timestamp()))),
        ("MsgType", "text"), ("Content", text),
    ):  # fmt: skip
        ElementTree.SubElement(inner, tag).text = value
    encrypted = wecom_encrypt(
        aes_key, corp_id, ElementTree.tostring(inner, encoding="unicode"), os.urandom(16)
    )
    stamp, nonce = str(int(now.timestamp())), secrets.token_hex(8)
    outer = ElementTree.Element("xml")
    for tag, value in (
        ("Encrypt", encrypted), ("MsgSignature", wecom_signature(token, stamp, nonce, encrypted)),
        ("TimeStamp", stamp), ("Nonce", nonce),
    ):  # fmt: skip
        ElementTree.SubElement(outer, tag).text = value
    return ElementTree.tostring(outer, encoding="unicode")


def _wecom_secrets(settings: Settings) -> tuple[str, str, str]:
    return (
        secret(settings.chat_wecom_token, "wecom", "PEAKGUARD_CHAT_WECOM_TOKEN"),
        secret(settings.chat_wecom_aes_key, "wecom", "PEAKGUARD_CHAT_WECOM_AES_KEY"),
        secret(settings.chat_wecom_corp_id, "wecom", "PEAKGUARD_CHAT_WECOM_CORP_ID"),
    )


def _feishu_event(
    key: str, token: SecretStr | None, headers: Headers, body: bytes, checked_at: datetime
) -> dict[str, Any]:
    """The verified (and decrypted) event. Every event must be signed; only the URL check may
    come unsigned, as Feishu sends it, and then it must have been encrypted with our key or
    carry the Verification Token. When the token is set, every event must carry it too."""
    signature = headers.get("x-lark-signature")
    if signature is not None:
        verify_feishu(
            key,
            headers.get("x-lark-request-timestamp"),
            headers.get("x-lark-request-nonce"),
            signature,
            body,
            checked_at,
        )
    outer = _json(body)
    encrypted = "encrypt" in outer
    event = feishu_decrypt(key, _str(outer["encrypt"])) if encrypted else outer
    sent = _str(_dict(event.get("header")).get("token")) or _str(event.get("token"))
    if token is not None and not hmac.compare_digest(sent.encode(), token.get_secret_value().encode()):
        raise BadSignature("the verification token does not match")
    if signature is None:
        if event.get("type") != "url_verification":
            raise BadSignature("missing X-Lark-Signature")
        if not encrypted and token is None:
            raise BadSignature("an unsigned plain URL check needs PEAKGUARD_CHAT_FEISHU_VERIFICATION_TOKEN")
    return event


def _json(body: bytes) -> dict[str, Any]:
    value = _loads(body)
    if not value:
        raise BadSignature("the body is not a JSON object")
    return value


def _loads(data: bytes | str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
