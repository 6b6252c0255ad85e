"""Logging in and out, the language switch, and each role's home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from peakguard.auth import service as auth
from peakguard.auth.login import TooManyAttempts, client_address
from peakguard.auth.login import login as login_with_password
from peakguard.auth.models import User
from peakguard.auth.roles import Perm, allows
from peakguard.deps import DatabaseDep, Now, SessionDep
from peakguard.errors import Unauthorized
from peakguard.i18n import LANGUAGES, gettext
from peakguard.limits import FormText, Line
from peakguard.web import prefs
from peakguard.web.errors import translate_message
from peakguard.web.security import (
    CSRF,
    PageUser,
    end_session,
    page_language,
    session_user,
    start_session,
)
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)

HOMES: list[tuple[Perm, str]] = [
    (Perm.WAREHOUSE_CLIENT, "/portal"),
    (Perm.INCIDENTS_WRITE, "/war-room"),
    (Perm.WAREHOUSE_OPERATE, "/scan"),
    (Perm.INCIDENTS_READ, "/war-room"),
]
"""Where each role lands, by what it does first: a client shop its portal (admins, who may do
everything, are caught by the next line), the emergency group the war room, warehouse staff
(who may also read incidents) the scanner, viewers the war room."""


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only a path on this site (never ``//evil.example``: an open redirect helps phishing), and
    never the login page itself (a logged-in user would bounce between the two)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return fallback if target.startswith("/login") else target
    return fallback


def home_for(user: User) -> str:
    for perm, path in HOMES:
        if allows(user.role, perm) and not (path == "/portal" and user.client_id is None):
            return path
    return "/account"


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/")
def home(viewer: PageUser) -> Response:
    return see_other(home_for(viewer.user))


@router.get("/account")
def account(request: Request, viewer: PageUser) -> Response:
    """A page every logged-in user can open: who am I, what may I do."""
    return render(request, "account.html", viewer)


@router.get("/login")
def login_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    if session_user(request, session) is not None:
        return see_other(safe_next(next))
    return render(request, "login.html", None, next=safe_next(next), error=None, username="")


@router.post("/login", dependencies=[CSRF])
async def login(
    request: Request,
    db: DatabaseDep,
    username: Annotated[str, Line(80), Form()] = "",
    password: Annotated[FormText, Form()] = "",
    next: Annotated[FormText, Form()] = "/",
) -> Response:
    """Throttled like the API's token exchange (``auth.login``); the session row is committed
    before the answer sets the cookie."""
    try:
        user_id = await login_with_password(
            db, request.app.state.login_guard, username.strip(), password, client_address(request)
        )
    except (Unauthorized, TooManyAttempts) as exc:
        error = translate_message(page_language(request), exc)
        page = render(
            request,
            "login.html",
            None,
            status=exc.status,
            next=safe_next(next),
            error=error,
            username=username,
        )
        page.headers.update(getattr(exc, "headers", {}))
        return page

    def open_session() -> User:
        with db.transaction() as session:
            user = session.get_one(User, user_id)
            start_session(request, session, user)
            return user

    user = await run_in_threadpool(open_session)
    target = safe_next(next)
    return see_other(home_for(user) if target == "/" else target)


@router.post("/logout", dependencies=[CSRF])
def logout(request: Request, session: SessionDep) -> Response:
    end_session(request, session)
    return see_other("/login")


@router.post("/lang", dependencies=[CSRF])
def switch_language(
    request: Request,
    language: Annotated[str, Line(10), Form()],
    session: SessionDep,
    now: Now,
    next: Annotated[FormText, Form()] = "/",
) -> Response:
    """Switch the page language; a logged-in user keeps the choice for the next login too."""
    if language not in LANGUAGES:
        return render(
            request,
            "error.html",
            None,
            status=422,
            title=gettext(page_language(request), "Please check the input"),
            message=f"language: {', '.join(LANGUAGES)}",
        )
    request.session["language"] = language
    user = session_user(request, session)
    if user is not None:
        prefs.set_language(session, auth.actor_for(user), now, user, language)
    return see_other(safe_next(next))
