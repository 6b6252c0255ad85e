"""Running a page's service call: in a savepoint, so a refused action leaves nothing behind even
though the request's transaction goes on to commit, and with the refusal kept for the page to
say in its language. :func:`in_savepoint` is that one wrapper (the scanner pages use it as it is);
:func:`attempt` is the usual form post built on it (the outcome flashed, post / redirect / get)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from peakguard.errors import DomainError
from peakguard.i18n import gettext
from peakguard.web.errors import page_message
from peakguard.web.security import Viewer
from peakguard.web.templating import flash

T = TypeVar("T")


def in_savepoint(session: Session, action: Callable[[], T]) -> tuple[T | None, DomainError | None]:
    """Run ``action`` in a savepoint: its result, or the domain's refusal (the savepoint rolled
    back). Any other exception propagates and fails the request."""
    try:
        with session.begin_nested():
            return action(), None
    except DomainError as exc:
        return None, exc


def attempt(
    request: Request,
    session: Session,
    viewer: Viewer,
    action: Callable[[], object],
    done: str,
    back: str,
) -> RedirectResponse:
    """Run ``action``; flash ``done`` (a msgid) or the refusal; redirect to ``back``."""
    _, refused = in_savepoint(session, action)
    if refused is not None:
        flash(request, "error", page_message(viewer.lang, refused))
    else:
        flash(request, "ok", gettext(viewer.lang, done))
    return RedirectResponse(back, status_code=303)
