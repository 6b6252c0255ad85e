"""Running a page form's service call: in a savepoint, so a refused action leaves nothing
behind even though the request's transaction goes on to commit, and with the outcome shown to
the user in the page language after the redirect (post / redirect / get)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from peakguard.errors import DomainError
from peakguard.i18n import gettext
from peakguard.web.errors import page_message
from peakguard.web.security import Viewer
from peakguard.web.templating import flash


def attempt(
    request: Request,
    session: Session,
    viewer: Viewer,
    action: Callable[[], object],
    done: str,
    back: str,
) -> RedirectResponse:
    """Run ``action``; flash ``done`` (a msgid) or the error's message; redirect to ``back``."""
    try:
        with session.begin_nested():
            action()
    except DomainError as exc:
        flash(request, "error", page_message(viewer.lang, exc))
    else:
        flash(request, "ok", gettext(viewer.lang, done))
    return RedirectResponse(back, status_code=303)
