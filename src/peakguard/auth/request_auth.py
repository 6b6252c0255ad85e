"""Who sent a request: a bearer token or a page session cookie (issue 13 items 7 and 8).

One function for the gate that runs before any body is read (``peakguard.gate``) and for the
route dependencies (``deps.current_user``, ``web.security.page_user``), so both agree.

A browser sends the session cookie with any request to this site, also one that another site's
page makes it send. So a request that changes something and is authenticated by the cookie alone
must show it came from our own pages: the session's CSRF token in ``X-CSRF-Token`` (our pages
send it with every HTMX request), or a ``Sec-Fetch-Site: same-origin`` / an ``Origin`` naming
this host. Bearer tokens are not sent by browsers on their own and need none of this."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from peakguard.auth import service, sessions
from peakguard.auth.models import User
from peakguard.config import Settings
from peakguard.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SID = "sid"
CSRF = "csrf"
CSRF_HEADER = "x-csrf-token"
SCOPE_KEY = "peakguard.user"
"""Where the gate leaves the user it found, so the route's dependency does not look again."""


def found_by_gate(scope: Mapping[str, Any], session: Session) -> User | None:
    """The user the gate authenticated for this request (changing requests only), attached to
    the route's session without a query."""
    known = scope.get(SCOPE_KEY)
    return session.merge(known, load=False) if isinstance(known, User) else None


def session_limits(settings: Settings) -> tuple[timedelta, timedelta]:
    return timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_max_hours)


def bearer_token(headers: Mapping[str, str]) -> str | None:
    header = headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def cookie_user(session: Session, cookie: Mapping[str, Any] | None, settings: Settings) -> User | None:
    """The user of the page session named in the (signed) cookie, if it is still live."""
    sid = cookie.get(SID) if cookie else None
    if not isinstance(sid, str):
        return None
    return sessions.resolve(session, sid, service.wall_now(), *session_limits(settings))


def api_user(
    session: Session,
    method: str,
    headers: Mapping[str, str],
    cookie: Mapping[str, Any] | None,
    settings: Settings,
) -> User:
    """The user of an API request, or ``Unauthorized`` / ``Forbidden`` (cross-site)."""
    token = bearer_token(headers)
    if token is not None:
        return service.user_for_token(session, token)
    user = cookie_user(session, cookie, settings)
    if user is None:
        raise Unauthorized("a bearer token or a logged-in session is required")
    if method not in SAFE_METHODS:
        check_same_site(headers, cookie or {})
    return user


def check_same_site(headers: Mapping[str, str], cookie: Mapping[str, Any]) -> None:
    sent, expected = headers.get(CSRF_HEADER), cookie.get(CSRF)
    if sent and isinstance(expected, str) and secrets.compare_digest(sent, expected):
        return
    site = headers.get("sec-fetch-site")
    origin = headers.get("origin")
    if site is not None:
        same = site == "same-origin"
    elif origin is not None:
        same = urlsplit(origin).netloc.lower() == headers.get("host", "").lower()
    else:
        same = False
    if not same:
        raise Forbidden(
            "a request made with the session cookie must come from this site's pages "
            "(X-CSRF-Token header or same Origin); API clients use a bearer token"
        )
