"""All warehouse routes under /api/v1/warehouse, from the three route modules: :mod:`.setup`
(clients, bays, leases, prices, invoices), :mod:`.goods` (SKUs, inbound, stock) and
:mod:`.outbound` (orders, picking, packing, hand-off); :mod:`.deps` has their shared dependency."""

from __future__ import annotations

from fastapi import APIRouter

from peakguard.warehouse.api import goods, outbound, setup

router = APIRouter()
# FastAPI tries routes in order, one pattern at a time: the floor's hot routes (scan-confirm
# picking, S2.9) come first so a scan is matched at once, the set-up routes last.
router.include_router(outbound.router)
router.include_router(goods.router)
router.include_router(setup.router)
