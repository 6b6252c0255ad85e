"""All page routes and the static files, as one router for ``app._routers()``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from peakguard.web import (
    routes_admin,
    routes_auth,
    routes_compensation,
    routes_docs,
    routes_incident,
    routes_notifications,
    routes_oncall,
    routes_portal,
    routes_printers,
    routes_quiet,
    routes_readiness,
    routes_scan,
    routes_scorecard,
    routes_warroom,
)

STATIC = Path(__file__).with_name("static")

router = APIRouter(include_in_schema=False)
for module in (
    routes_docs,
    routes_auth,
    routes_warroom,
    routes_incident,
    routes_quiet,
    routes_readiness,
    routes_compensation,
    routes_admin,
    routes_notifications,
    routes_oncall,
    routes_scorecard,
    routes_printers,
    routes_scan,
    routes_portal,
):
    router.include_router(module.router)
router.mount("/static", StaticFiles(directory=STATIC), name="static")
