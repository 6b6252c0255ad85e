"""Schedules (issue 17): the only code that writes rotations, overrides, swaps and calendar
tokens, and the readings built on :mod:`peakguard.oncall.schedule`: who is on duty now and
next, the week, coverage gaps (S1.4), hand-over messages and each person's calendar."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.clock import parse_iso
from peakguard.errors import InvalidInput, NotFound, Word
from peakguard.oncall.duty import load
from peakguard.oncall.models import CalendarToken, Override, Rotation
from peakguard.oncall.schedule import Segment, Slot, slot_at
from peakguard.plan.schemas import Plan
from peakguard.roster import service as roster
from peakguard.roster.models import Person

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_MEMBERS = 50
MAX_OVERRIDE_DAYS = 31
LOOK_AHEAD = timedelta(days=8)


# --- rotations -------------------------------------------------------------------------------


def add_rotation(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    *,
    name: str,
    role: str,
    shifts: list[str],
    members: list[int],
    starts_on: date,
    ends_on: date | None = None,
    layer: int = 1,
) -> Rotation:
    """A rotation in the plan's time zone; ``shifts`` are the local hand-over times."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput("name", "1 to 120 characters")
    _check_role(plan, role)
    if not shifts:
        raise InvalidInput("shifts", "at least one hand-over time, e.g. 08:00")
    for i, at in enumerate(shifts):
        if not HHMM.match(at):
            raise InvalidInput(f"shifts.{i}", "not a time HH:MM: {at!r}", at=at)
    if sorted(set(shifts)) != list(shifts):
        raise InvalidInput("shifts", "hand-over times in order through the day, each once")
    if not members or len(members) > MAX_MEMBERS:
        raise InvalidInput("members", "1 to {max_members} people in turn order", max_members=MAX_MEMBERS)
    for i, person_id in enumerate(members):
        person = session.get(Person, person_id)
        if person is None:
            raise InvalidInput(f"members.{i}", "no person {person_id} on the roster", person_id=person_id)
        if person.role != role:
            raise InvalidInput(f"members.{i}", "{name} is {role}, not {wanted}", name=person.name, role=Word(person.role), wanted=Word(role))
    check_day("starts_on", starts_on)
    if ends_on is not None:
        check_day("ends_on", ends_on)
    if ends_on is not None and ends_on <= starts_on:
        raise InvalidInput("ends_on", "must be after starts_on")
    if not 1 <= layer <= 9:
        raise InvalidInput("layer", "1 to 9 (a higher layer wins where it has a shift)")
    rotation = Rotation(
        name=name,
        role=role,
        layer=layer,
        shifts=list(shifts),
        members=list(members),
        timezone=plan.timezone,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=now,
    )
    session.add(rotation)
    session.flush()
    record(session, actor, "oncall.rotation", "rotation", rotation.id, now, role=role, shifts=shifts)
    return rotation


def remove_rotation(session: Session, actor: Actor, now: datetime, rotation_id: int) -> None:
    rotation = session.get(Rotation, rotation_id)
    if rotation is None:
        raise NotFound("no rotation {rotation_id}", field="rotation", rotation_id=rotation_id)
    session.delete(rotation)
    record(session, actor, "oncall.rotation_removed", "rotation", rotation_id, now, role=rotation.role)


def list_rotations(session: Session) -> list[Rotation]:
    return list(session.scalars(select(Rotation).order_by(Rotation.role, Rotation.layer, Rotation.id)))


# --- overrides and swaps ---------------------------------------------------------------------


def add_override(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    *,
    role: str,
    person_id: int,
    start: datetime,
    end: datetime,
    replaces_id: int | None = None,
    reason: str = "",
    swap_id: int | None = None,
) -> Override:
    """``person_id`` covers ``role`` from ``start`` to ``end`` ("I take Li's night")."""
    _check_role(plan, role)
    check_moment("start", start)
    check_moment("end", end)
    person = _person(session, person_id, "person_id")
    if replaces_id is not None:
        if replaces_id == person_id:
            raise InvalidInput("replaces_id", "a person cannot stand in for themselves")
        _person(session, replaces_id, "replaces_id")
    if end <= start:
        raise InvalidInput("end", "must be after start")
    if end - start > timedelta(days=MAX_OVERRIDE_DAYS):
        raise InvalidInput("end", "an override lasts at most {max_override_days} days; use a rotation", max_override_days=MAX_OVERRIDE_DAYS)
    reason = reason.strip()
    if len(reason) > 200:
        raise InvalidInput("reason", "at most 200 characters")
    override = Override(
        role=role,
        person_id=person.id,
        replaces_id=replaces_id,
        start_at=start,
        end_at=end,
        reason=reason,
        swap_id=swap_id,
        created_at=now,
        created_by=actor.name,
    )
    session.add(override)
    session.flush()
    record(
        session, actor, "oncall.override", "override", override.id, now,
        role=role, person=person_id, replaces=replaces_id, start=start.isoformat(), end=end.isoformat(),
    )  # fmt: skip
    return override


def remove_override(session: Session, actor: Actor, now: datetime, override_id: int) -> None:
    """Cancel an override; cancelling one half of a swap cancels both."""
    override = session.get(Override, override_id)
    if override is None:
        raise NotFound("no override {override_id}", field="override", override_id=override_id)
    group = [override]
    if override.swap_id is not None:
        group = list(session.scalars(select(Override).where(Override.swap_id == override.swap_id)))
    for row in group:
        session.delete(row)
    record(session, actor, "oncall.override_removed", "override", override_id, now, removed=len(group))


def swap(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    *,
    role: str,
    person_id: int,
    shift_at: datetime,
    other_id: int,
    other_shift_at: datetime,
    reason: str = "",
) -> list[Override]:
    """Two people trade shifts of a rotation: each covers the other's, as two overrides."""
    _check_role(plan, role)
    check_moment("shift_at", shift_at)
    check_moment("other_shift_at", other_shift_at)
    mine = _own_slot(session, role, person_id, shift_at, "shift_at")
    theirs = _own_slot(session, role, other_id, other_shift_at, "other_shift_at")
    if (mine.start, mine.end) == (theirs.start, theirs.end):
        raise InvalidInput("other_shift_at", "that is the same shift")
    first = add_override(
        session, actor, now, plan, role=role, person_id=other_id, replaces_id=person_id,
        start=mine.start, end=mine.end, reason=reason or "swap",
    )  # fmt: skip
    first.swap_id = first.id
    second = add_override(
        session, actor, now, plan, role=role, person_id=person_id, replaces_id=other_id,
        start=theirs.start, end=theirs.end, reason=reason or "swap", swap_id=first.id,
    )  # fmt: skip
    return [first, second]


def list_overrides(session: Session, now: datetime) -> list[Override]:
    """Overrides not yet over, soonest first."""
    query = select(Override).where(Override.end_at > now).order_by(Override.start_at, Override.id)
    return list(session.scalars(query))


def _own_slot(session: Session, role: str, person_id: int, at: datetime, field: str) -> Slot:
    _person(session, person_id, field)
    for rotation in session.scalars(select(Rotation).where(Rotation.role == role)):
        slot = slot_at(rotation, at)
        if slot is not None and slot.person_id == person_id:
            return slot
    raise InvalidInput(field, "person {person_id} has no {role} shift at {at}", person_id=person_id, role=Word(role), at=at.isoformat())


# --- readings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    role: str
    now: Segment
    next: Segment | None


def now_and_next(session: Session, plan: Plan, at: datetime, roles: list[str] | None = None) -> list[Duty]:
    """Per role, who is on duty at ``at`` (until when) and who comes next."""
    roles = roles or list(plan.roles)
    schedule = load(session, at, at + LOOK_AHEAD, roles)
    out = []
    for role in roles:
        segments = schedule.segments(role, at, at + LOOK_AHEAD)
        out.append(Duty(role, segments[0], segments[1] if len(segments) > 1 else None))
    return out


def week(session: Session, plan: Plan, first_day: date) -> tuple[list[date], dict[str, list[Segment]]]:
    """Seven local days from ``first_day``: each role's segments over them, for the grid."""
    check_day("start", first_day)
    zone = ZoneInfo(plan.timezone)
    days = [first_day + timedelta(days=i) for i in range(7)]
    start = _midnight(first_day, zone)
    end = _midnight(first_day + timedelta(days=7), zone)
    schedule = load(session, start, end, plan.roles)
    return days, {role: schedule.segments(role, start, end) for role in plan.roles}


def gaps(session: Session, plan: Plan, now: datetime) -> list[Segment]:
    """Stretches in the next ``gap_days_ahead`` days when a role the plan needs has nobody on
    duty (S1.4): soonest first."""
    end = now + timedelta(days=plan.oncall.gap_days_ahead)
    schedule = load(session, now, end, plan.oncall.needs)
    found = [s for role in plan.oncall.needs for s in schedule.segments(role, now, end) if not s.people]
    return sorted(found, key=lambda s: (s.start, s.role))


def person_segments(session: Session, person_id: int, start: datetime, end: datetime) -> list[Segment]:
    """The stretches a person is on duty for a scheduled role (their calendar). A role without
    rotations is on duty as a whole and gives no calendar events."""
    schedule = load(session, start, end)
    roles = sorted({r.role for r in schedule.rotations} | {o.role for o in schedule.overrides})
    out: list[Segment] = []
    for role in roles:
        for s in schedule.segments(role, start, end):
            if person_id not in s.people:
                continue
            if out and out[-1].role == role and out[-1].end == s.start:  # still on, others changed
                out[-1] = Segment(role, out[-1].start, s.end, (person_id,))
            else:
                out.append(Segment(role, s.start, s.end, (person_id,)))
    return out


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def find_person(session: Session, text: str, field: str) -> int:
    """A roster id, or a name that only one person has (what people type in the CLI)."""
    if text.strip().isdigit():
        return _person(session, int(optional_id(text, field) or 0), field).id
    found = list(session.scalars(select(Person.id).where(Person.name == text.strip())))
    if len(found) != 1:
        if not found:
            raise InvalidInput(field, "nobody on the roster is named {text!r}; give the id (peakguard roster list)", text=text)
        raise InvalidInput(field, "{count} people on the roster are named {text!r}; give the id (peakguard roster list)", count=len(found), text=text)
    return found[0]


def names(session: Session) -> dict[int, str]:
    return {p.id: p.name for p in roster.list_people(session)}


# --- calendar tokens -------------------------------------------------------------------------


def issue_calendar_token(session: Session, actor: Actor, now: datetime, person_id: int) -> str:
    """A new secret for the person's calendar URL (the old URL stops working); shown once."""
    person = roster.get_person(session, person_id)
    token = "cal_" + secrets.token_urlsafe(24)
    session.execute(delete(CalendarToken).where(CalendarToken.person_id == person.id))
    session.add(CalendarToken(person_id=person.id, token_hash=_digest(token), created_at=now))
    record(session, actor, "oncall.calendar_token", "person", person.id, now)
    return token


def person_for_calendar(session: Session, token: str) -> Person:
    row = session.scalar(select(CalendarToken).where(CalendarToken.token_hash == _digest(token)))
    if row is None:
        raise NotFound("no calendar for this link; ask for a new one")
    return roster.get_person(session, row.person_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- helpers ---------------------------------------------------------------------------------


def check_day(field: str, day: date) -> date:
    """Schedules live in this century and the next: far-off dates are refused, not computed."""
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(field, "a date between {earliest} and {latest}", earliest=EARLIEST, latest=LATEST)
    return day


def check_moment(field: str, at: datetime) -> datetime:
    check_day(field, at.date())
    return at


def optional_id(text: str, field: str) -> int | None:
    """A form's optional person choice: empty is none."""
    if not text.strip():
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= 2**31 - 1:
        raise InvalidInput(field, "choose a person from the list")
    return int(text)


def parse_local(text: str, field: str, timezone: str) -> datetime:
    """A time as people type it on the day: the plan's local time (``2026-11-11T20:00``, the
    ``datetime-local`` form value), or ISO 8601 with an offset, kept as given."""
    text = text.strip()
    if not text:
        raise InvalidInput(field, "a date and time is needed")
    if "+" in text[10:] or text.endswith("Z") or text.count("-") > 2:
        return parse_iso(text, field)
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, "not a date and time: {text!r}", text=text) from None
    return naive.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


def _check_role(plan: Plan, role: str) -> None:
    if role not in plan.roles:
        raise InvalidInput("role", "unknown role {role!r}; one of {choices}", role=role, choices=', '.join(plan.roles))


def _person(session: Session, person_id: int, field: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise InvalidInput(field, "no person {person_id} on the roster", person_id=person_id)
    return person

