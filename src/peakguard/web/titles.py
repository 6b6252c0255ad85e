"""The title of an error screen per HTTP status, in the page language. A leaf module: both the
error handlers (``web.errors``) and the page renderer (``web.templating``) need it, and neither
may import the other back."""

from __future__ import annotations

from peakguard.i18n import gettext

TITLES = {
    400: "The request was not understood",
    401: "Please log in",
    403: "You may not open this page",
    404: "Not found",
    405: "The request was not understood",
    409: "That cannot be done now",
    413: "Too large",
    422: "Please check the input",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def status_title(language: str, status: int) -> str:
    return gettext(language, TITLES.get(status, TITLES[500]))
