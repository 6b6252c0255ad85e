"""The on-call page (issue 17): who is on duty now and next per role, the week as a grid
(roles by days, each shift with its people, gaps in red), overrides with a form to add one
("I take Li's night") or a swap, and coverage gaps ahead (S1.4). Also each person's calendar
feed, whose URL carries its own secret (calendar apps send no login)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from peakguard.auth.roles import Perm
from peakguard.deps import Now, SessionDep
from peakguard.errors import InvalidInput
from peakguard.limits import FormText, Id, Line
from peakguard.oncall import ical, noise, service
from peakguard.oncall.schedule import Segment
from peakguard.plan.service import current_plan
from peakguard.roster import service as roster
from peakguard.web.actions import attempt
from peakguard.web.security import CSRF, PageCanManageRoster, PageCanReadRoster
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
BACK = "/oncall"
CALENDAR_PAST = timedelta(days=7)
CALENDAR_AHEAD = timedelta(days=35)


@dataclass(frozen=True)
class Piece:
    """A segment's part within one day of the grid, in local time."""

    start: str
    end: str
    names: list[str]
    now: bool


def grid(
    segments: dict[str, list[Segment]], days: list[date], zone: ZoneInfo, names: dict[int, str], now: datetime
) -> dict[str, list[list[Piece]]]:
    out: dict[str, list[list[Piece]]] = {}
    for role, role_segments in segments.items():
        row = []
        for day in days:
            day_start = datetime(day.year, day.month, day.day, tzinfo=zone)
            day_end = day_start + timedelta(days=1)
            cell = []
            for s in role_segments:
                a, b = max(s.start, day_start), min(s.end, day_end)
                if a >= b:
                    continue
                end = b.astimezone(zone)
                cell.append(
                    Piece(
                        start=a.astimezone(zone).strftime("%H:%M"),
                        end="24:00" if end == day_end else end.strftime("%H:%M"),
                        names=[names.get(p, str(p)) for p in s.people],
                        now=a <= now < b,
                    )
                )
            row.append(cell)
        out[role] = row
    return out


@router.get("/oncall")
def oncall_page(
    request: Request,
    viewer: PageCanReadRoster,
    session: SessionDep,
    now: Now,
    start: Annotated[str, Line(10)] = "",
) -> Response:
    plan = current_plan()
    zone = ZoneInfo(plan.timezone)
    today = now.astimezone(zone).date()
    try:
        first = date.fromisoformat(start) if start else today - timedelta(days=today.weekday())
    except ValueError:
        raise InvalidInput("start", "a date YYYY-MM-DD") from None
    days, segments = service.week(session, plan, first)
    names = service.names(session)
    return render(
        request,
        "oncall.html",
        viewer,
        now=now,
        zone=zone,
        days=days,
        grid=grid(segments, days, zone, names, now),
        previous=(first - timedelta(days=7)).isoformat(),
        following=(first + timedelta(days=7)).isoformat(),
        duty=service.now_and_next(session, plan, now),
        gaps=service.gaps(session, plan, now),
        overrides=service.list_overrides(session, now),
        windows=noise.list_windows(session, now),
        kinds=plan.kinds,
        rotations=service.list_rotations(session),
        names=names,
        people=roster.list_people(session),
        roles=plan.roles,
        can_manage=viewer.can(Perm.ROSTER_MANAGE),
    )


@router.post("/oncall/overrides", dependencies=[CSRF])
def add_override(
    request: Request,
    person_id: Annotated[Id, Form()],
    viewer: PageCanManageRoster,
    session: SessionDep,
    now: Now,
    role: Annotated[str, Line(20), Form()] = "",
    replaces_id: Annotated[str, Line(20), Form()] = "",
    start: Annotated[str, Line(40), Form()] = "",
    end: Annotated[str, Line(40), Form()] = "",
    reason: Annotated[FormText, Form()] = "",
) -> Response:
    plan = current_plan()
    return attempt(
        request,
        session,
        viewer,
        lambda: service.add_override(
            session, viewer.actor, now, plan,
            role=role, person_id=person_id, replaces_id=service.optional_id(replaces_id, "replaces_id"),
            start=service.parse_local(start, "start", plan.timezone), end=service.parse_local(end, "end", plan.timezone),
            reason=reason,
        ),  # fmt: skip
        "Override saved",
        BACK,
    )


@router.post("/oncall/overrides/{override_id}/delete", dependencies=[CSRF])
def remove_override(
    request: Request,
    override_id: Id,
    viewer: PageCanManageRoster,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: service.remove_override(session, viewer.actor, now, override_id),
        "Override cancelled",
        BACK,
    )


@router.post("/oncall/swaps", dependencies=[CSRF])
def swap(
    request: Request,
    person_id: Annotated[Id, Form()],
    other_id: Annotated[Id, Form()],
    viewer: PageCanManageRoster,
    session: SessionDep,
    now: Now,
    role: Annotated[str, Line(20), Form()] = "",
    shift_at: Annotated[str, Line(40), Form()] = "",
    other_shift_at: Annotated[str, Line(40), Form()] = "",
    reason: Annotated[FormText, Form()] = "",
) -> Response:
    plan = current_plan()
    return attempt(
        request,
        session,
        viewer,
        lambda: service.swap(
            session, viewer.actor, now, plan,
            role=role, person_id=person_id, shift_at=service.parse_local(shift_at, "shift_at", plan.timezone),
            other_id=other_id, other_shift_at=service.parse_local(other_shift_at, "other_shift_at", plan.timezone),
            reason=reason,
        ),  # fmt: skip
        "Shifts swapped",
        BACK,
    )


@router.get("/oncall/calendar/{token}.ics")
def calendar_feed(token: Annotated[str, Line(80)], session: SessionDep, now: Now) -> Response:
    """The person's shifts from a week back to five weeks ahead; an unknown token is a 404."""
    person = service.person_for_calendar(session, token)
    segments = service.person_segments(session, person.id, now - CALENDAR_PAST, now + CALENDAR_AHEAD)
    body = ical.calendar(person.name, person.language, segments, now)
    return Response(body, media_type="text/calendar; charset=utf-8")



@router.post("/oncall/maintenance", dependencies=[CSRF])
def add_window(
    request: Request,
    viewer: PageCanManageRoster,
    session: SessionDep,
    now: Now,
    scope: Annotated[str, Line(64), Form()] = "",
    kind: Annotated[str, Line(40), Form()] = "",
    start: Annotated[str, Line(40), Form()] = "",
    end: Annotated[str, Line(40), Form()] = "",
    reason: Annotated[str, Line(200), Form()] = "",
) -> Response:
    plan = current_plan()
    return attempt(
        request,
        session,
        viewer,
        lambda: noise.add_window(
            session, viewer.actor, now, plan, scope=scope, kind=kind or None, reason=reason,
            start=service.parse_local(start, "start", plan.timezone), end=service.parse_local(end, "end", plan.timezone),
        ),  # fmt: skip
        "Maintenance window saved",
        BACK + "#maintenance",
    )


@router.post("/oncall/maintenance/{window_id}/end", dependencies=[CSRF])
def end_window(
    request: Request,
    window_id: Id,
    viewer: PageCanManageRoster,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: noise.end_window(session, viewer.actor, now, window_id),
        "Maintenance window ended",
        BACK + "#maintenance",
    )
