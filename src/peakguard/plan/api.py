"""Plan routes: the plan the server runs on, for the war room and for integrations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from peakguard.deps import CanReadPlan
from peakguard.plan.service import current_plan

router = APIRouter(prefix="/api/v1/plan", tags=["plan"])


@router.get("")
def get_plan(_: CanReadPlan) -> dict[str, Any]:
    return current_plan().model_dump()
