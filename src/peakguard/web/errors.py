"""Errors in the reader's language: the API's JSON ``message`` and the pages' error screens.

An API message is translated when the request says its language (the session's choice or
``Accept-Language``) and a catalog has the message; ``code`` and ``field`` never change, so
clients keep matching on them. For ``InvalidInput`` the reason is looked up on its own, so one
catalog entry serves every field that gives the same reason."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from peakguard.errors import DomainError, InvalidInput
from peakguard.i18n import LANGUAGES, catalog, normalise
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
    if language is None:
        return exc.message
    table = catalog(language)
    template = getattr(exc, "template", None)  # a message with numbers in it (a wait, a limit)
    if isinstance(template, str):
        return table.get(template, template).format(**getattr(exc, "values", {}))
    if isinstance(exc, InvalidInput) and exc.reason in table:
        return f"{exc.field}: {table[exc.reason]}"
    return table.get(exc.message, exc.message)


def page_message(language: str, exc: DomainError) -> str:
    """For a page: the translated message, or, when the catalog has none (a message naming ids
    and states), the translated kind of error in front so the reader knows what happened."""
    text = translate_message(language, exc)
    if text == exc.message and language != "en":
        return f"{status_title(language, exc.status)}: {text}"
    return text


def error_page(request: Request, status: int, exc: DomainError | None = None) -> HTMLResponse:
    """A plain error screen in the page language, with a way back."""
    message = page_message(page_language(request), exc) if exc is not None else ""
    return render_error(request, status, message)
