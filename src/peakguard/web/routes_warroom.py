"""The war room dashboard (S3.3, S3.4): active incidents with their level's colour and a live
countdown to each deadline, breached ones on top, counts per level, which are muted (issue 17:
by the incident upstream, or snoozed) and which mute others, and the charts of the other
domains. The live part is one fragment that HTMX polls every few seconds, so a change shows on
every screen without a reload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from peakguard.deps import Now, SessionDep
from peakguard.incidents import presenters, queries
from peakguard.incidents.models import ACTIVE
from peakguard.oncall import mutes
from peakguard.plan.service import current_plan, levels_by_rank
from peakguard.warehouse import clients
from peakguard.web import widgets
from peakguard.web.security import PageCanReadIncidents, Viewer
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
POLL_SECONDS = 3


def live_context(session: Session, viewer: Viewer, now: datetime, speed: float) -> dict[str, Any]:
    plan = current_plan()
    counts = queries.counts_by_level(session)
    incidents = queries.list_incidents(session, status=list(ACTIVE), plan=plan)
    return {
        "levels": [(key, level, counts.get(key, 0)) for key, level in levels_by_rank(plan)],
        "incidents": [presenters.summary(session, i, plan) for i in incidents],
        "now": now,
        "speed": speed,
        "poll": POLL_SECONDS,
        "charts": widgets.charts(session, viewer, now),
        "shops": clients.names_by_code(session),
        **quiet_marks(session),
    }


def quiet_marks(session: Session) -> dict[str, Any]:
    """``muted``: incident id -> its running mutes; ``under``: source id -> "#a #b" it mutes."""
    muted: dict[int, list[mutes.Mute]] = {}
    under: dict[int, list[str]] = {}
    for mute in mutes.all_running(session):
        muted.setdefault(mute.incident_id, []).append(mute)
        if mute.source_id is not None:
            under.setdefault(mute.source_id, []).append(f"#{mute.incident_id}")
    return {"muted": muted, "under": {source: " ".join(ids) for source, ids in under.items()}}


def clock_speed(request: Request) -> float:
    """How fast the server's clock runs (a drill or the demo may run it at 60x), so the
    countdown in the browser ticks at the same pace; the browser re-measures it on each poll."""
    return float(request.app.state.settings.clock_speed)


@router.get("/war-room")
def war_room(
    request: Request,
    viewer: PageCanReadIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    return render(
        request, "war_room.html", viewer, **live_context(session, viewer, now, clock_speed(request))
    )


@router.get("/war-room/live")
def war_room_live(
    request: Request,
    viewer: PageCanReadIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    return render(request, "_live.html", viewer, **live_context(session, viewer, now, clock_speed(request)))
