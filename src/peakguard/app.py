"""The FastAPI application factory: routes of every domain under ``/api/v1``, JSON errors with a
code and a message, and the background jobs of ``peakguard serve``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import configure_mappers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from peakguard import __version__, background
from peakguard.auth.login import LoginGuard
from peakguard.clock import Clock, clock_from_settings
from peakguard.config import Settings, get_settings
from peakguard.db import Database, database_for
from peakguard.errors import ERROR_RESPONSES, DomainError, Unavailable
from peakguard.gate import RequestGate
from peakguard.ops.logs import REQUEST_ID
from peakguard.ops.metrics import Metrics, Observe
from peakguard.secret_key import secret_key
from peakguard.web.headers import SecurityHeaders, security_headers

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    run_background: bool = False,
) -> FastAPI:
    settings = settings or get_settings()
    database = db or database_for(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything built before the first request (the app, its libraries and their modules,
        # some 230,000 objects) lives until the process ends, yet every full collection of the
        # garbage collector walked all of it: a 100-140 ms pause of every request in flight, the
        # slowest scans on the warehouse floor (S2.9). Frozen, a full collection looks only at
        # what requests made since. Unfrozen when the app stops, so an app started and stopped
        # in a longer-lived process (tests, the demo) keeps nothing from being collected.
        # The mappers are configured first (their relationships' join conditions, some 0.26 s
        # of CPU), which SQLAlchemy otherwise leaves to the first query: the first request
        # after a start waited for it, and what it builds is frozen with the rest.
        configure_mappers()
        gc.freeze()
        task = None
        if run_background:
            task = asyncio.create_task(
                background.run_forever(database, app.state.clock, settings.tick_seconds, app.state.metrics.job_done)
            )
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        gc.unfreeze()

    app = FastAPI(
        title="PeakGuard",
        version=__version__,
        description="Double 11 war room: graded incidents (S3), detection, overflow warehouse (S2).",
        lifespan=lifespan,
        docs_url=None,  # served from local files by web/routes_docs.py (works offline)
        redoc_url=None,
    )
    app.state.db = database
    app.state.clock = clock or clock_from_settings(settings.clock_start, settings.clock_speed)
    app.state.settings = settings
    app.state.login_guard = LoginGuard(settings)
    # The last added runs first: metrics and the request id, security headers on every answer,
    # then the signed cookie is read, then the gate authenticates and caps the body before any
    # route reads it.
    app.add_middleware(RequestGate)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings, database.url),
        same_site="lax",
        https_only=settings.cookie_secure,
        max_age=settings.session_max_hours * 3600,
    )
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds)
    metrics = app.state.metrics = Metrics(database)
    app.add_middleware(Observe, metrics=metrics)  # added last: outermost, so it sees every answer
    _install_error_handlers(app)
    for router in _routers():
        app.include_router(router, responses=ERROR_RESPONSES)
    return app


def _routers() -> list[APIRouter]:
    from peakguard.auth.api import router as auth_router
    from peakguard.chatops.api import router as chatops_router
    from peakguard.compensation.api import router as compensation_router
    from peakguard.incidents.api import router as incidents_router
    from peakguard.monitor.api import router as monitor_router
    from peakguard.notify.api import router as notify_router
    from peakguard.oncall.api import router as oncall_router
    from peakguard.oncall.api_mutes import router as mutes_router
    from peakguard.ops.health import router as health_router
    from peakguard.ops.metrics import router as metrics_router
    from peakguard.plan.api import router as plan_router
    from peakguard.printing.api import router as printing_router
    from peakguard.readiness.api import router as readiness_router
    from peakguard.roster.api import router as roster_router
    from peakguard.scorecard.api import router as scorecard_router
    from peakguard.stakeholders.api import router as stakeholders_router
    from peakguard.warehouse.api import router as warehouse_router
    from peakguard.web.router import router as web_router

    return [
        auth_router,
        plan_router,
        roster_router,
        oncall_router,
        mutes_router,
        scorecard_router,
        stakeholders_router,
        notify_router,
        chatops_router,
        incidents_router,
        monitor_router,
        compensation_router,
        readiness_router,
        printing_router,
        warehouse_router,
        web_router,
        health_router,
        metrics_router,
    ]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        from peakguard.web.errors import error_page, is_page, request_language, translate_message

        headers = getattr(exc, "headers", None)
        if is_page(request):
            page = error_page(request, exc.status, exc)
            page.headers.update(headers or {})
            return page
        message = translate_message(request_language(request), exc)
        return JSONResponse(
            {"error": {**exc.as_dict(), "message": message}}, status_code=exc.status, headers=headers
        )

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: OperationalError) -> Response:
        """The database refused the work for a reason of its own (disk full, a lock not
        granted in time, a serialization failure, a lost connection): the transaction was
        rolled back, nothing was stored, and the client may retry (S3: no acknowledged write is
        lost, and a failure is one the client sees)."""
        log.warning("database unavailable, answering 503: %s", exc.orig)
        return await domain_error(request, Unavailable())

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        from peakguard.web.errors import error_page, is_page, validation_refusal

        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"] if p not in ("body", "query", "path", "header", "cookie")]
        field = ".".join(loc) or None
        message = f"{field}: {first['msg']}" if field else str(first["msg"])
        if is_page(request):
            return error_page(request, 422, validation_refusal(first))
        return JSONResponse(
            {"error": {"code": "invalid", "message": message, "field": field}}, status_code=422
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        # Answered outside the middleware stack, so the security headers are added here.
        settings: Settings = request.app.state.settings
        headers = security_headers(request.url.path, settings.hsts_seconds)
        request_id = REQUEST_ID.get()  # set by Observe, which this handler runs outside of
        if request_id:
            headers["X-Request-ID"] = request_id
        return JSONResponse(
            {"error": {"code": "internal", "message": "internal error; nothing was changed", "field": None}},
            status_code=500,
            headers=headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        from peakguard.web.errors import error_page, is_page

        if is_page(request) and exc.status_code >= 400 and not exc.headers:
            return error_page(request, exc.status_code)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": {"code": code, "message": str(exc.detail), "field": None}},
            status_code=exc.status_code,
            headers=exc.headers,
        )
