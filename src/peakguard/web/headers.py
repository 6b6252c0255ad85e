"""Security headers on every response (issue 13 item 13).

The pages load their script and style from ``/static`` only (HTMX is vendored), so scripts are
limited to this site; styles also allow inline ``style`` attributes, which the templates use for
data-driven colours and bar widths (no script can be injected through them). Nothing may frame a
page (clickjacking). The OpenAPI docs page (``/docs``) is FastAPI's Swagger UI page, which starts
its (locally served) bundle with an inline script, so it alone may run inline script.
``Strict-Transport-Security`` only when the operator says the site is served over TLS
(``PEAKGUARD_HSTS_SECONDS``): sent over plain HTTP by mistake it would lock browsers out."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGES_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def security_headers(path: str, hsts_seconds: int) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": DOCS_CSP if path.startswith(("/docs", "/redoc")) else PAGES_CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if hsts_seconds > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
    return headers


class SecurityHeaders:
    """Pure ASGI, outermost but for the error catcher: also the gate's 401 and 413 answers get
    the headers. A header a route set itself (a stricter CSP on a download) is kept."""

    def __init__(self, app: ASGIApp, hsts_seconds: int = 0) -> None:
        self.app = app
        self.hsts_seconds = hsts_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], self.hsts_seconds)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
