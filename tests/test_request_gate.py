"""Issue 13 items 7, 8 and 13 over HTTP: credentials checked before a body is read, bodies and
notes capped, server-side sessions that logout ends, the cookie's flags, the same-site rule for
cookie-authenticated API writes, security headers, and evidence served as a safe download.

The body tests speak ASGI to the app directly, so they can see whether the app ever asked for
the body and can stream one without a ``Content-Length``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from peakguard.app import create_app
from peakguard.auth import service as auth
from peakguard.auth.models import UserSession
from peakguard.config import Settings
from peakguard.readiness import checklist
from tests.factories import csrf_of, login, make_user

MB = 1024 * 1024


def asgi_post(app, path: str, chunks: list[bytes], headers: dict[str, str]) -> tuple[int, int, bytes]:  # type: ignore[no-untyped-def]
    """POST ``chunks`` as a streamed body; returns (status, chunks the app asked for, body)."""
    asked = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        if asked <= len(chunks):
            return {"type": "http.request", "body": chunks[asked - 1], "more_body": asked < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, asked, body


# --- item 7: authenticate first, cap sizes -----------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/incidents", "/api/v1/readiness/items/1/done"])
def test_an_unauthenticated_body_is_refused_before_a_byte_of_it_is_read(app, path):
    chunks = [b"x" * 65536] * 8
    status, asked, body = asgi_post(app, path, chunks, {"content-type": "application/json"})
    assert (status, asked) == (401, 0)
    assert b'"unauthorized"' in body
    status, asked, _ = asgi_post(app, path, chunks, {"authorization": "Bearer pg_forged"})
    assert (status, asked) == (401, 0)


def test_a_page_form_without_a_session_goes_to_the_login_page_unread(app):
    status, asked, _ = asgi_post(app, "/readiness/items/1/done", [b"x" * 1000], {})
    assert (status, asked) == (303, 0)


def test_a_declared_oversize_body_is_refused_at_once(app, headers_for):
    token = headers_for("member")["Authorization"]
    headers = {"authorization": token, "content-length": str(2 * MB), "content-type": "application/json"}
    status, asked, body = asgi_post(app, "/api/v1/incidents", [b"{}"], headers)
    assert (status, asked) == (413, 0) and b'"too_large"' in body


def test_a_streamed_body_is_cut_off_past_the_route_limit(app, headers_for):
    token = headers_for("member")["Authorization"]
    headers = {"authorization": token, "content-type": "application/json"}
    chunks = [b" " * (256 * 1024)] * 40  # 10 MiB, no Content-Length
    status, asked, _ = asgi_post(app, "/api/v1/incidents", chunks, headers)
    assert status == 413 and asked == 5  # stopped just past 1 MiB
    # Event batches may be larger: the same 10 MiB is read to the end (and is not JSON).
    status, asked, body = asgi_post(app, "/api/v1/events", chunks, headers)
    assert status == 422 and asked == 40, body


def test_a_note_and_an_evidence_file_are_capped(client, headers_for):
    h = headers_for("leader")
    incident = client.post("/api/v1/incidents", json={"kind": "lost", "area": "XM-03", "count": 1}, headers=h)
    r = client.post(
        f"/api/v1/incidents/{incident.json()['id']}/notes", json={"text": "x" * 10_001}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "text"
    client.post("/api/v1/readiness/items/init", headers=h)
    item = client.get("/api/v1/readiness/items", headers=h).json()[0]["id"]
    r = client.post(f"/api/v1/readiness/items/{item}/done", data={"note": "n" * 10_001}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "note"
    big = {"evidence": ("image.png", b"0" * (6 * MB), "image/png")}
    r = client.post(f"/api/v1/readiness/items/{item}/done", files=big, headers=h)
    assert r.status_code == 413
    fits = {"evidence": ("image.png", b"0" * (5 * MB - 10), "image/png")}
    assert client.post(f"/api/v1/readiness/items/{item}/done", files=fits, headers=h).status_code == 200


# --- item 8: sessions ---------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(client, db, clock):
    csrf = login(client, make_user(db, clock, "leader"))
    stolen = client.cookies.get("session")
    assert client.get("/api/v1/me").status_code == 200
    client.post("/logout", data={"csrf_token": csrf})
    with TestClient(client.app) as thief:
        thief.cookies.set("session", stolen)
        assert thief.get("/api/v1/me").status_code == 401
        assert thief.get("/war-room", follow_redirects=False).status_code == 303


def test_an_idle_session_and_an_old_one_run_out(client, db, clock):
    login(client, make_user(db, clock, "leader"))
    assert client.get("/api/v1/me").status_code == 200
    with db.transaction() as s:
        s.execute(update(UserSession).values(last_seen_at=auth.wall_now() - timedelta(hours=12, seconds=1)))
    assert client.get("/api/v1/me").status_code == 401
    login(client, make_user(db, clock, "member"))
    with db.transaction() as s:
        s.execute(update(UserSession).values(created_at=auth.wall_now() - timedelta(hours=24, seconds=1)))
    assert client.get("/api/v1/me").status_code == 401


def test_the_cookie_is_short_lived_httponly_and_secure_when_configured(db, clock):
    name = make_user(db, clock, "leader")
    for secure in (False, True):
        settings = Settings(cookie_secure=secure, session_max_hours=8)
        with TestClient(create_app(settings, db=db, clock=clock), base_url="https://testserver") as c:
            token = csrf_of(c.get("/login").text)
            r = c.post(
                "/login",
                data={"username": name, "password": "secret-pass", "csrf_token": token},
                follow_redirects=False,
            )
            cookie = r.headers["set-cookie"].lower()
            assert "max-age=28800" in cookie and "httponly" in cookie and "samesite=lax" in cookie
            assert ("; secure" in cookie) is secure


def test_cookie_api_writes_need_the_csrf_header_or_our_origin(client, db, clock, headers_for):
    csrf = login(client, make_user(db, clock, "leader"))
    body = {"kind": "lost", "area": "XM-03", "count": 1}

    def report(area: str, headers: dict[str, str], via: TestClient = client) -> int:
        return via.post("/api/v1/incidents", json={**body, "area": area}, headers=headers).status_code

    r = client.post("/api/v1/incidents", json=body, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client.post("/api/v1/incidents", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert client.post("/api/v1/incidents", json=body).status_code == 403
    assert client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": "guess"}).status_code == 403
    assert report("A-1", {"X-CSRF-Token": csrf}) == 201
    assert report("A-2", {"Origin": "http://testserver"}) == 201
    assert report("A-3", {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}) == 201
    assert client.get("/api/v1/incidents", headers={"Origin": "https://evil.example"}).status_code == 200
    with TestClient(client.app) as api:
        assert report("A-4", {**headers_for("member"), "Origin": "https://evil.example"}, api) == 201


# --- item 13: headers, evidence downloads -----------------------------------------------------


def test_every_answer_carries_the_security_headers(client, db, clock, headers_for):
    answers = [
        client.get("/login"),
        client.get("/api/v1/me"),
        client.post("/api/v1/incidents", json={}),
        client.get("/api/v1/nowhere", headers=headers_for("viewer")),
        client.get("/static/app.css"),
    ]
    for r in answers:
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp, r.url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in r.headers
    tls = create_app(Settings(hsts_seconds=31536000), db=db, clock=clock)
    with TestClient(tls) as c:
        assert c.get("/login").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_evidence_is_served_as_a_download_with_a_safe_type_and_name(client, headers_for):
    h = headers_for("leader")
    client.post("/api/v1/readiness/items/init", headers=h)
    item = client.get("/api/v1/readiness/items", headers=h).json()[0]["id"]
    page = b"<script>alert(document.cookie)</script>"
    upload = {"evidence": ('..\\../"evil";\r\nX-Bad: 1.html', page, "text/html")}
    assert client.post(f"/api/v1/readiness/items/{item}/done", files=upload, headers=h).status_code == 200
    r = client.get(f"/api/v1/readiness/items/{item}/evidence", headers=h)
    assert r.content == page
    assert r.headers["content-type"] == "application/octet-stream"
    # (the client percent-encodes the quotes and line breaks; the % signs are dropped)
    assert r.headers["content-disposition"] == (
        "attachment; filename=\"22evil220D0AX-Bad 1.html\"; filename*=UTF-8''22evil220D0AX-Bad%201.html"
    )
    assert "sandbox" in r.headers["content-security-policy"]


def test_uploaded_file_names_lose_folders_quotes_and_control_characters():
    assert checklist.safe_file_name('..\\../"evil";\r\nX-Bad: 1.html') == "evilX-Bad 1.html"
    assert checklist.safe_file_name("备份 截图.png") == "备份 截图.png"
    assert checklist.safe_file_name("../..") == ""
    long = checklist.safe_file_name("a" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")
