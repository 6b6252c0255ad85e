"""Scorecard routes (issue 17; S3.7): response times grouped as asked and the outlet scorecard."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter

from peakguard.clock import as_utc
from peakguard.deps import CanReadIncidents, Now, SessionDep
from peakguard.limits import Line
from peakguard.plan.service import current_plan
from peakguard.scorecard import numbers

router = APIRouter(prefix="/api/v1/scorecard", tags=["scorecard"])


@router.get("/times")
def times(
    _: CanReadIncidents,
    session: SessionDep,
    now: Now,
    by: Annotated[str, Line(10)] = "level",
    since: datetime | None = None,
    kind: Annotated[str, Line(40)] | None = None,
) -> list[dict[str, Any]]:
    """Minutes to acknowledge and to resolve, per ``level``, ``person``, ``outlet`` or ``week``."""
    rows = numbers.response_times(
        session, current_plan(), now, by, since=as_utc(since) if since else None, kind=kind or None
    )
    return [asdict(row) for row in rows]


@router.get("/outlets")
def outlets(
    _: CanReadIncidents,
    session: SessionDep,
) -> list[dict[str, Any]]:
    """Per outlet: penalty-kind incidents, breaches, penalties given so far, the next step."""
    return [
        {
            "outlet": o.outlet,
            "incidents": o.incidents,
            "breached": o.breached,
            "penalties": o.penalties,
            "next_step": o.next_step.id,
        }
        for o in numbers.outlets(session, current_plan())
    ]
