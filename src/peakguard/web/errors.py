"""Errors in the reader's language: the API's JSON ``message`` and the pages' error screens.

An API message is translated when the request says its language (the session's choice or
``Accept-Language``), else it is the English rendering; ``code``, ``field``, ``message_id`` and
``params`` never change, so clients keep matching on them (peakguard.i18n.error_text says it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from peakguard.errors import DomainError, InvalidInput
from peakguard.i18n import LANGUAGES, error_text, gettext, has_text, normalise
from peakguard.web.security import page_language
from peakguard.web.templating import render_error
from peakguard.web.titles import status_title

MACHINE_PATHS = frozenset({"/openapi.json", "/metrics", "/healthz", "/readyz"})


def is_page(request: Request) -> bool:
    """Everything outside ``/api/``, the OpenAPI docs and the operator's endpoints (metrics,
    health) is a page and gets an HTML answer."""
    path = request.url.path
    return not (path.startswith("/api/") or path.startswith("/docs") or path in MACHINE_PATHS)


def request_language(request: Request) -> str | None:
    """The language the caller asked for, or None when it did not say (API clients then keep
    the messages as the code writes them)."""
    if "session" in request.scope:
        chosen = request.session.get("language")
        if chosen in LANGUAGES:
            return str(chosen)
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].split(";")[0].strip()
    if first[:2].lower() in ("zh", "en"):
        return normalise(first)
    return None


def translate_message(language: str | None, exc: DomainError) -> str:
    """The API's ``message``: in the caller's language, or English when it named none."""
    return error_text(language, exc)


def page_message(language: str, exc: DomainError) -> str:
    """For a page: the message in the page language; when the catalog has no text for it (a
    reason a library gave), the translated kind of error goes in front so the reader knows what
    happened."""
    text = error_text(language, exc)
    if language != "en" and not has_text(language, exc):
        return gettext(language, "{title}: {text}", title=status_title(language, exc.status), text=text)
    return text


VALIDATION_REASONS = {
    "missing": "is required",
    "string_too_long": "at most {max_length} characters",
    "string_too_short": "at least {min_length} characters",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "greater_than_equal": "must be {ge} or more",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be {le} or less",
    "control_character": "control characters are not allowed",
    "json_too_deep": "nested deeper than {limit} levels",
    "json_too_large": "longer than {limit} characters as JSON",
}
"""Message ids for the refusals FastAPI's validation gives before a route runs, by pydantic's
error type (its context fills the placeholders); another type keeps pydantic's English."""


def validation_refusal(error: Mapping[str, Any]) -> InvalidInput:
    """A form field FastAPI refused, as bad input a page says in its language."""
    loc = [str(p) for p in error["loc"] if p not in ("body", "query", "path", "header", "cookie")]
    field = ".".join(loc) or "request"
    if error["type"] == "value_error" or error["type"] not in VALIDATION_REASONS:
        return InvalidInput(field, str(error["msg"]))
    return InvalidInput(field, VALIDATION_REASONS[error["type"]], **error.get("ctx", {}))


def error_page(request: Request, status: int, exc: DomainError | None = None) -> HTMLResponse:
    """A plain error screen in the page language, with a way back."""
    message = page_message(page_language(request), exc) if exc is not None else ""
    return render_error(request, status, message)
