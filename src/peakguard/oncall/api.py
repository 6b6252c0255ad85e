"""On-call routes (issue 17): rotations, overrides, swaps, who is on duty now and next, the
week, coverage gaps and calendar links. The calendar feed itself is a page route
(``/oncall/calendar/<token>.ics``): a calendar app has no bearer token, the URL's secret is it."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from peakguard.clock import as_utc
from peakguard.deps import CanManageRoster, CanReadIncidents, CanReadRoster, Now, SessionDep
from peakguard.limits import Id
from peakguard.oncall import noise, paging, service
from peakguard.oncall.models import FeedHeartbeat, MaintenanceWindow, Override, Page, Rotation
from peakguard.oncall.schedule import Segment
from peakguard.oncall.schemas import (
    CalendarLink,
    DutyOut,
    FeedOut,
    OverrideIn,
    OverrideOut,
    PageOut,
    RotationIn,
    RotationOut,
    SegmentOut,
    SwapIn,
    WindowIn,
    WindowOut,
)
from peakguard.plan.service import current_plan

router = APIRouter(prefix="/api/v1/oncall", tags=["oncall"])


def segment_out(segment: Segment, names: dict[int, str]) -> SegmentOut:
    return SegmentOut(
        role=segment.role,
        start=segment.start,
        end=segment.end,
        people=list(segment.people),
        names=[names.get(p, str(p)) for p in segment.people],
    )


@router.get("/now", response_model=list[DutyOut])
def on_duty_now(_: CanReadRoster, session: SessionDep, now: Now) -> list[DutyOut]:
    """Per role: who is on duty at the server's clock (simulated time included) and who is next."""
    names = service.names(session)
    return [
        DutyOut(
            role=d.role,
            now=segment_out(d.now, names),
            next=segment_out(d.next, names) if d.next else None,
        )
        for d in service.now_and_next(session, current_plan(), now)
    ]


@router.get("/week", response_model=dict[str, list[SegmentOut]])
def week(
    _: CanReadRoster,
    session: SessionDep,
    now: Now,
    start: date | None = None,
) -> dict[str, list[SegmentOut]]:
    """Seven local days from ``start`` (default today in the plan's zone), per role."""
    plan = current_plan()
    first = start or now.astimezone(ZoneInfo(plan.timezone)).date()
    by_role = service.week(session, plan, first)[1]
    names = service.names(session)
    return {role: [segment_out(s, names) for s in segments] for role, segments in by_role.items()}


@router.get("/gaps", response_model=list[SegmentOut])
def gaps(_: CanReadRoster, session: SessionDep, now: Now) -> list[SegmentOut]:
    return [segment_out(g, {}) for g in service.gaps(session, current_plan(), now)]


@router.get("/rotations", response_model=list[RotationOut])
def list_rotations(_: CanReadRoster, session: SessionDep) -> list[Rotation]:
    return service.list_rotations(session)


@router.post("/rotations", response_model=RotationOut, status_code=201)
def add_rotation(
    body: RotationIn,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> Rotation:
    return service.add_rotation(session, actor, now, current_plan(), **body.model_dump())


@router.delete("/rotations/{rotation_id}", status_code=204)
def remove_rotation(
    rotation_id: Id,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> Response:
    service.remove_rotation(session, actor, now, rotation_id)
    return Response(status_code=204)


@router.get("/overrides", response_model=list[OverrideOut])
def list_overrides(_: CanReadRoster, session: SessionDep, now: Now) -> list[Override]:
    return service.list_overrides(session, now)


@router.post("/overrides", response_model=OverrideOut, status_code=201)
def add_override(
    body: OverrideIn,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> Override:
    return service.add_override(
        session, actor, now, current_plan(),
        role=body.role, person_id=body.person_id, start=as_utc(body.start), end=as_utc(body.end),
        replaces_id=body.replaces_id, reason=body.reason,
    )  # fmt: skip


@router.delete("/overrides/{override_id}", status_code=204)
def remove_override(
    override_id: Id,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> Response:
    service.remove_override(session, actor, now, override_id)
    return Response(status_code=204)


@router.post("/swaps", response_model=list[OverrideOut], status_code=201)
def swap(
    body: SwapIn,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> list[Override]:
    return service.swap(
        session, actor, now, current_plan(),
        role=body.role, person_id=body.person_id, shift_at=as_utc(body.shift_at),
        other_id=body.other_id, other_shift_at=as_utc(body.other_shift_at), reason=body.reason,
    )  # fmt: skip


@router.post("/calendar/{person_id}", response_model=CalendarLink, status_code=201)
def calendar_link(
    person_id: Id,
    request: Request,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> CalendarLink:
    """A new calendar URL for the person (the old one stops working); the secret is shown once."""
    token = service.issue_calendar_token(session, actor, now, person_id)
    return CalendarLink(person_id=person_id, url=str(request.base_url) + f"oncall/calendar/{token}.ics")



@router.get("/pages", response_model=list[PageOut])
def pages(incident_id: Id, _: CanReadIncidents, session: SessionDep) -> list[Page]:
    """Every page of an incident's escalation: who, when, on which channels, answered or not."""
    return paging.pages_of(session, incident_id)


@router.get("/maintenance", response_model=list[WindowOut])
def list_windows(_: CanReadRoster, session: SessionDep, now: Now) -> list[MaintenanceWindow]:
    """Maintenance windows running or to come."""
    return noise.list_windows(session, now)


@router.post("/maintenance", response_model=WindowOut, status_code=201)
def add_window(
    body: WindowIn,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> MaintenanceWindow:
    """A planned quiet time: detection raises nothing of ``kind`` (all when null) at ``scope``."""
    return noise.add_window(
        session, actor, now, current_plan(), scope=body.scope, kind=body.kind or None,
        start=as_utc(body.start), end=as_utc(body.end), reason=body.reason,
    )  # fmt: skip


@router.post("/maintenance/{window_id}/end", response_model=WindowOut)
def end_window(
    window_id: Id,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> MaintenanceWindow:
    return noise.end_window(session, actor, now, window_id)


@router.get("/feeds", response_model=list[FeedOut])
def feeds(_: CanReadRoster, session: SessionDep) -> list[FeedHeartbeat]:
    """Each feed's last event, oldest first: a silent one is at the top."""
    return noise.feeds(session)
