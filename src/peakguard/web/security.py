"""Who is looking at a page, in which language, and whether a form really came from our page.

A page route asks for a permission exactly as an API route does (``Perm`` / ``allows``), but a
visitor without a session is sent to the login page instead of getting a JSON 401. Every POST
carries the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.auth import sessions
from peakguard.auth.models import User
from peakguard.auth.request_auth import CSRF_HEADER, SID, cookie_user, found_by_gate, session_limits
from peakguard.auth.roles import Perm, allows
from peakguard.deps import SessionDep
from peakguard.errors import Forbidden, Word
from peakguard.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise

CSRF_FIELD = "csrf_token"


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

    def check(request: Request, session: SessionDep) -> Viewer:
        user = session_user(request, session)
        if user is None:
            raise login_redirect(request)
        if perm is not None and not allows(user.role, perm):
            raise Forbidden(
                "role {role!r} may not do {permission}", role=Word(user.role), permission=perm.value
            )
        return Viewer(user=user, actor=auth.actor_for(user), lang=page_language(request, user))

    return check


PageUser = Annotated[Viewer, Depends(page_user())]
"""Any logged-in viewer, whatever its role."""

# One alias a permission, as ``deps`` has for the API: the viewer if its role grants it.
PageCanReadIncidents = Annotated[Viewer, Depends(page_user(Perm.INCIDENTS_READ))]
PageCanWriteIncidents = Annotated[Viewer, Depends(page_user(Perm.INCIDENTS_WRITE))]
PageCanReviewIncidents = Annotated[Viewer, Depends(page_user(Perm.INCIDENTS_REVIEW))]
PageCanReadPlan = Annotated[Viewer, Depends(page_user(Perm.PLAN_READ))]
PageCanReadRoster = Annotated[Viewer, Depends(page_user(Perm.ROSTER_READ))]
PageCanManageRoster = Annotated[Viewer, Depends(page_user(Perm.ROSTER_MANAGE))]
PageCanManageUsers = Annotated[Viewer, Depends(page_user(Perm.USERS_MANAGE))]
PageCanOperateWarehouse = Annotated[Viewer, Depends(page_user(Perm.WAREHOUSE_OPERATE))]
PageWarehouseClient = Annotated[Viewer, Depends(page_user(Perm.WAREHOUSE_CLIENT))]
PageCanReadReadiness = Annotated[Viewer, Depends(page_user(Perm.READINESS_READ))]
PageCanWriteReadiness = Annotated[Viewer, Depends(page_user(Perm.READINESS_WRITE))]
PageCanPrint = Annotated[Viewer, Depends(page_user(Perm.PRINTING))]


def session_user(request: Request, session: Session) -> User | None:
    """The user of the request's live page session, if any (found by the gate for a POST)."""
    known = found_by_gate(request.scope, session)
    if known is not None:
        return known
    return cookie_user(session, request.session, request.app.state.settings)


def start_session(request: Request, session: Session, user: User) -> None:
    """Log in: a new server-side session, and a fresh cookie (new CSRF token, so a token seen
    before login is useless after) that keeps the language chosen on the login page."""
    chosen = request.session.get("language")
    now = auth.wall_now()
    sid = sessions.open_session(session, user, now, *session_limits(request.app.state.settings))
    request.session.clear()
    request.session[SID] = sid
    request.session["language"] = normalise(chosen) if chosen else page_language(request, user)
    csrf_token(request)


def end_session(request: Request, session: Session) -> None:
    """Log out: the server forgets the session, so the cookie is worthless even if copied."""
    sid = request.session.get(SID)
    if isinstance(sid, str):
        sessions.close(session, sid)
    language = request.session.get("language")
    request.session.clear()
    if language:
        request.session["language"] = language
