"""All warehouse routes under /api/v1/warehouse, from the three route modules."""

from __future__ import annotations

from fastapi import APIRouter

from peakguard.warehouse import api_goods, api_outbound, api_setup

router = APIRouter()
# FastAPI tries routes in order, one pattern at a time: the floor's hot routes (scan-confirm
# picking, S2.9) come first so a scan is matched at once, the set-up routes last.
router.include_router(api_outbound.router)
router.include_router(api_goods.router)
router.include_router(api_setup.router)
