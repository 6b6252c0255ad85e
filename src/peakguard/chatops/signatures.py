"""Each chat platform's documented request signature, checked before anything is read as a
command (issue 17). Pure functions: no database, no clock of their own (``now`` is passed), so
the route verifies first and acts only on what passed.

- **DingTalk outgoing robot** (钉钉机器人回调): headers ``timestamp`` (ms) and ``sign`` =
  base64(HMAC-SHA256(key=AppSecret, msg=timestamp + "\\n" + AppSecret)); DingTalk says a
  timestamp more than an hour from now is to be refused. The signature does not cover the body,
  so each ``sign`` is accepted once (the caller records it) and a captured one cannot carry
  another command.
- **Feishu event callback** (飞书事件订阅): ``X-Lark-Signature`` = hex(SHA-256(timestamp + nonce
  + Encrypt Key + raw body)) with ``X-Lark-Request-Timestamp`` (s) and ``X-Lark-Request-Nonce``;
  with encryption on, the body is ``{"encrypt": base64(IV + AES-256-CBC(PKCS#7))}`` with the key
  SHA-256(Encrypt Key) and the IV the first 16 bytes.
- **WeCom callback** (企业微信回调): ``msg_signature`` = hex(SHA-1(the sorted concatenation of
  Token, timestamp, nonce and the encrypted text)); the text is AES-256-CBC with key =
  base64decode(EncodingAESKey + "="), IV = key[:16], PKCS#7 padding to 32 bytes, and the
  plaintext is 16 random bytes + a 4-byte network-order length + the message + the receiver id
  (the CorpID), which must be ours.

Every comparison is constant-time (:func:`hmac.compare_digest`); a bad or stale request raises
:class:`BadSignature` with the reason, for the log, never for the caller."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import struct
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

DINGTALK_WINDOW_SECONDS = 3600
"""DingTalk's documented limit: a timestamp more than an hour off is refused."""
WINDOW_SECONDS = 300
"""Feishu and WeCom document no limit; five minutes covers clock skew and delivery, and a
captured request is useless after it."""


class BadSignature(Exception):
    """The request is not the platform's, or is stale; the message says why (for the log)."""


def dingtalk_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_dingtalk(secret: str, timestamp: str | None, sign: str | None, now: datetime) -> None:
    if not timestamp or not sign:
        raise BadSignature("missing timestamp or sign header")
    _fresh(_number(timestamp) / 1000, now, DINGTALK_WINDOW_SECONDS)
    if not hmac.compare_digest(dingtalk_sign(secret, timestamp).encode(), sign.encode()):
        raise BadSignature("sign does not match")


def feishu_signature(encrypt_key: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def verify_feishu(
    encrypt_key: str,
    timestamp: str | None,
    nonce: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
) -> None:
    if not timestamp or not nonce or not signature:
        raise BadSignature("missing X-Lark-Request-Timestamp, X-Lark-Request-Nonce or X-Lark-Signature")
    _fresh(_number(timestamp), now, WINDOW_SECONDS)
    expected = feishu_signature(encrypt_key, timestamp, nonce, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise BadSignature("X-Lark-Signature does not match")


def feishu_decrypt(encrypt_key: str, encrypted: str) -> dict[str, Any]:
    """The JSON inside Feishu's ``encrypt`` field."""
    data = _b64(encrypted)
    if len(data) < 32 or len(data) % 16:
        raise BadSignature("encrypt is not IV + whole AES blocks")
    key = hashlib.sha256(encrypt_key.encode()).digest()
    plain = _aes_cbc_decrypt(key, data[:16], data[16:], block_bits=128)
    return _json_object(plain)


def wecom_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def verify_wecom(
    token: str,
    timestamp: str | None,
    nonce: str | None,
    signature: str | None,
    encrypted: str | None,
    now: datetime,
) -> None:
    if not timestamp or not nonce or not signature or not encrypted:
        raise BadSignature("missing msg_signature, timestamp, nonce or the encrypted text")
    _fresh(_number(timestamp), now, WINDOW_SECONDS)
    if not hmac.compare_digest(
        wecom_signature(token, timestamp, nonce, encrypted).encode(), signature.encode()
    ):
        raise BadSignature("msg_signature does not match")


def wecom_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise BadSignature("the EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise BadSignature("the EncodingAESKey must be 43 characters (32 bytes)")
    return key


def wecom_decrypt(encoding_aes_key: str, receive_id: str, encrypted: str) -> str:
    """The message inside a WeCom ``Encrypt`` (or ``echostr``), checked to be addressed to us."""
    key = wecom_key(encoding_aes_key)
    data = _b64(encrypted)
    if not data or len(data) % 16:
        raise BadSignature("the encrypted text is not whole AES blocks")
    plain = _aes_cbc_decrypt(key, key[:16], data, block_bits=256)
    if len(plain) < 20:
        raise BadSignature("the decrypted text is too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, receiver = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or not hmac.compare_digest(receiver, receive_id.encode()):
        raise BadSignature("the message is not addressed to this CorpID")
    try:
        return message.decode()
    except UnicodeDecodeError as exc:
        raise BadSignature("the message is not UTF-8") from exc


def wecom_encrypt(encoding_aes_key: str, receive_id: str, message: str, prefix: bytes) -> str:
    """WeCom's encryption of a passive reply (the inverse of :func:`wecom_decrypt`); ``prefix``
    is the 16 random bytes WeCom's scheme puts in front."""
    key = wecom_key(encoding_aes_key)
    raw = message.encode()
    padder = padding.PKCS7(256).padder()
    plain = (
        padder.update(prefix + struct.pack(">I", len(raw)) + raw + receive_id.encode()) + padder.finalize()
    )
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes, *, block_bits: int) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(block_bits).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise BadSignature("bad padding: not encrypted with our key") from exc


def _fresh(sent_at: float, now: datetime, window: int) -> None:
    if abs(now.timestamp() - sent_at) > window:
        raise BadSignature(f"timestamp more than {window} s from now (stale or replayed)")


def _number(text: str) -> int:
    if not text.isdigit() or len(text) > 16:
        raise BadSignature("timestamp is not a number")
    return int(text)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadSignature("not base64") from exc


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadSignature("the decrypted body is not JSON") from exc
    if not isinstance(value, dict):
        raise BadSignature("the decrypted body is not a JSON object")
    return value
