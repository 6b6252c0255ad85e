"""All warehouse routes under /api/v1/warehouse, from the three route modules."""

from __future__ import annotations

from fastapi import APIRouter

from peakguard.warehouse import api_goods, api_outbound, api_setup

router = APIRouter()
router.include_router(api_setup.router)
router.include_router(api_goods.router)
router.include_router(api_outbound.router)
