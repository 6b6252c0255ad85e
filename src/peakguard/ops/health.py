"""Health checks for a load balancer or an orchestrator, without a token (they say only "up" or
which part is down, never data):

- ``GET /healthz``: the process answers (no database touched), so a restart is needed only when
  this fails;
- ``GET /readyz``: the database answers with its schema version, and NATS accepts a connection when
  ``PEAKGUARD_BUS_URL`` names one; 503 with the part that failed, so traffic goes elsewhere
  until it is back.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from peakguard.db import Database

CHECK_SECONDS = 3
"""Each check's time limit: a dependency that hangs counts as down."""

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    db: Database = request.app.state.db
    checks = {"database": await _check(run_in_threadpool(_database_answers, db))}
    bus_url: str = request.app.state.settings.bus_url
    if bus_url.startswith(("nats://", "tls://")):
        checks["bus"] = await _check(_nats_answers(bus_url))
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )


async def _check(probe: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe, CHECK_SECONDS)
    except TimeoutError:
        outcome: dict[str, Any] = {"ok": False, "error": f"no answer within {CHECK_SECONDS:g} s"}
    except Exception as exc:  # the kind of failure is named, its text (URLs, hosts) is not
        outcome = {"ok": False, "error": type(exc).__name__}
    else:
        outcome = {"ok": True}
    outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return outcome


def _database_answers(db: Database) -> None:
    """The schema's version row, not just ``SELECT 1``: a SQLite path that points at a new,
    empty file (a moved volume) answers a query too, but holds nothing to serve."""
    with db.reads() as session:  # read-only: on SQLite it never waits behind a writer
        if session.execute(text("SELECT version_num FROM alembic_version")).first() is None:
            raise LookupError("the database has no schema version")


async def _nats_answers(url: str) -> None:
    from peakguard.nats_connect import connect_once

    nc = await connect_once(url, CHECK_SECONDS)
    try:
        await nc.flush(timeout=CHECK_SECONDS)
    finally:
        await nc.close()
