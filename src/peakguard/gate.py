"""The first thing every request meets (issue 13 item 7): a body size cap per route, and the
sender's credentials checked before a single byte of a body is read.

FastAPI parses a body (JSON, a form, an upload) before it resolves the route's dependencies, so
``Depends(current_user)`` alone let anyone make the server read and parse 50 MB. This pure ASGI
middleware sits in front of the routes instead:

- a request that may change something (POST, PUT, PATCH, DELETE) is authenticated here from its
  headers and session cookie; without valid credentials it is answered 401 (API) or sent to the
  login page (pages) with its body unread. The user found is left in the scope for the route.
  Only the login forms and the token exchange are open, and they are throttled (``auth.login``).
  The chat platforms' callbacks (``CHAT``) pass too: DingTalk, WeCom and Feishu cannot send a
  PeakGuard token, and their documented signature, which covers the body, is the credential, so
  the route must read the body to check it. Their bodies are capped at ``CHAT_BODY`` (64 KiB;
  a chat command is a line), so an unauthenticated sender can make the server read no more.
- a body larger than its route allows is answered 413: at once when ``Content-Length`` says so,
  else as soon as the bytes streamed in pass the limit (a chunked upload cannot slip by).
  Event batches (``/api/v1/events``) may be ``PEAKGUARD_MAX_EVENTS_BODY_BYTES``, evidence uploads
  the 5 MB file plus its form, everything else ``PEAKGUARD_MAX_BODY_BYTES`` (1 MiB)."""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import quote

from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peakguard.auth.models import User
from peakguard.auth.request_auth import SAFE_METHODS, SCOPE_KEY, api_user, bearer_token, cookie_user
from peakguard.config import Settings
from peakguard.db import Database
from peakguard.errors import DomainError, Unavailable
from peakguard.readiness.checklist import MAX_EVIDENCE_BYTES

OPEN = frozenset({"/api/v1/auth/token", "/login", "/lang"})
"""Changing requests that need no login: getting one, and the language switch on the login page."""
CHAT = frozenset({"/api/v1/chat/dingtalk", "/api/v1/chat/feishu", "/api/v1/chat/wecom"})
"""Authenticated by the platform's signature in the route, not here (see the module doc)."""
CHAT_BODY = 64 * 1024
EVENTS = "/api/v1/events"
EVIDENCE = re.compile(r"^(/api/v1)?/readiness/items/\d+/done$")
EVIDENCE_BODY = MAX_EVIDENCE_BYTES + 256 * 1024


class BodyTooLarge(Exception):
    pass


class PayloadTooLarge(DomainError):
    status = 413
    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__("the request body is larger than {limit} bytes", field="body", limit=limit)


def body_limit(path: str, settings: Settings) -> int:
    if path == EVENTS:
        return settings.max_events_body_bytes
    if path in CHAT:
        return CHAT_BODY
    if EVIDENCE.match(path):
        return EVIDENCE_BODY
    return settings.max_body_bytes


def is_api(path: str) -> bool:
    return path.startswith("/api/")


class RequestGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings: Settings = state.settings
        path: str = scope["path"]
        headers = Headers(scope=scope)
        limit = body_limit(path, settings)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(scope, limit)(scope, receive, send)
            return
        if (
            scope["method"] not in SAFE_METHODS
            and path not in OPEN
            and path not in CHAT
            and not path.startswith("/static/")
        ):
            refusal = await self._authenticate(scope, state.db, settings, headers)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self._capped(scope, receive, send, limit)

    async def _authenticate(
        self, scope: Scope, db: Database, settings: Settings, headers: Headers
    ) -> Response | None:
        cookie = scope.get("session")
        method = scope["method"]

        def identify() -> User | None:
            if is_api(scope["path"]) and bearer_token(headers) is not None:
                # A token lookup is one read: it must not take SQLite's write lock a second time
                # ahead of the route's own transaction, and on PostgreSQL it needs no BEGIN and
                # ROLLBACK around it (every event batch comes this way; see Database.lookups).
                with db.lookups() as session, session.begin():
                    return api_user(session, method, headers, cookie, settings)
            with db.transaction() as session:  # a page session may be touched or ended
                if is_api(scope["path"]):
                    return api_user(session, method, headers, cookie, settings)
                return cookie_user(session, cookie, settings)

        try:
            user = await run_in_threadpool(identify)
        except DomainError as exc:
            return _error(scope, exc)
        except DBAPIError:  # the database is locked or gone: the caller may retry (issue 13 item 2)
            return _error(scope, Unavailable())
        if user is None:
            return _login_redirect(scope)
        scope[SCOPE_KEY] = user
        return None

    async def _capped(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app with a receive that counts; past the limit the app's own answer (a 400
        for a body it could not finish reading, or nothing) is replaced by a 413."""
        seen = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return
            started = True
            await send(message)

        with contextlib.suppress(BodyTooLarge):  # raised into the app by counting_receive
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await _too_large(scope, limit)(scope, receive, send)


def _too_large(scope: Scope, limit: int) -> Response:
    response = _error(scope, PayloadTooLarge(limit))
    response.headers["Connection"] = "close"  # the rest of the body is not read
    return response


def _error(scope: Scope, exc: DomainError) -> Response:
    from peakguard.web.errors import error_page, request_language, translate_message

    request = Request(scope)
    if not is_api(scope["path"]):
        return error_page(request, exc.status, exc)
    message = translate_message(request_language(request), exc)
    body: dict[str, Any] = {"error": {**exc.as_dict(), "message": message}}
    return JSONResponse(body, status_code=exc.status)


def _login_redirect(scope: Scope) -> Response:
    target = "/login?next=" + quote(scope["path"])
    if Headers(scope=scope).get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
