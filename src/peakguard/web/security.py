"""Who is looking at a page, in which language, and whether a form really came from our page.

A page route asks for a permission exactly as an API route does (``Perm`` / ``allows``), but a
visitor without a session is sent to the login page instead of getting a JSON 401. Every POST
carries the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.auth.models import User
from peakguard.auth.roles import Perm, allows
from peakguard.deps import get_session
from peakguard.errors import Forbidden
from peakguard.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Viewer:
    """The logged-in user of a page request, the actor for services and the page language."""

    user: User
    actor: Actor
    lang: str

    def can(self, perm: Perm) -> bool:
        return allows(self.user.role, perm)


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (the login page's GET makes it before login)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


async def verify_csrf(request: Request) -> None:
    """Refuse a POST whose token is missing or is not this session's (cross-site forgery)."""
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = request.session.get("csrf")
    if not sent or not expected or not secrets.compare_digest(sent, str(expected)):
        raise Forbidden("the form is stale or did not come from this site; reload the page and try again")


CSRF = Depends(verify_csrf)


def page_language(request: Request, user: User | None = None) -> str:
    """The session's choice, else the user's stored language, else zh_CN (the trade's default)."""
    chosen = request.session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    if user is not None and user.language in LANGUAGES:
        return user.language
    return DEFAULT_LANGUAGE


def login_redirect(request: Request) -> HTTPException:
    """Send a visitor without a session to the login page and back here afterwards. An HTMX
    poll gets ``HX-Redirect`` instead, so the whole page moves, not the polled fragment."""
    target = "/login?next=" + quote(request.url.path)
    if request.headers.get("hx-request"):
        return HTTPException(status_code=401, headers={"HX-Redirect": target})
    return HTTPException(status_code=303, headers={"Location": target})


def page_user(perm: Perm | None = None) -> Callable[..., Viewer]:
    """A dependency: the logged-in viewer, allowed ``perm`` (None: any logged-in user)."""

    def check(request: Request, session: Session = Depends(get_session)) -> Viewer:
        user_id = request.session.get("user_id")
        user = session.get(User, user_id) if user_id is not None else None
        if user is None or not user.active:
            raise login_redirect(request)
        if perm is not None and not allows(user.role, perm):
            raise Forbidden(f"role {user.role!r} may not do {perm.value}")
        return Viewer(user=user, actor=auth.actor_for(user), lang=page_language(request, user))

    return check


def start_session(request: Request, user: User) -> None:
    """Log in: a fresh session (new CSRF token, so a token seen before login is useless after)
    that keeps the language chosen on the login page."""
    chosen = request.session.get("language")
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["language"] = normalise(chosen) if chosen else page_language(request, user)
    csrf_token(request)
