"""Who is on duty, computed from the rules at any instant (issue 17).

At an instant ``t`` for a role:

1. every rotation of the role running at ``t`` names the person whose shift holds ``t``; the
   highest layer with a shift at ``t`` decides, rotations of that layer add up;
2. a role with no rotation at all is on duty as a whole (every available person of the role,
   around the clock): a small team needs no schedule, and a role that has one is never
   silently covered by this fallback;
3. overrides running at ``t`` apply in the order they were made: one with ``replaces`` puts
   its person in place of that person (or beside the others when that person was not on
   duty: the offer to cover stands), one without takes the role alone;
4. a person marked unavailable on the roster (leave, sick) is dropped even when scheduled:
   that is how a sudden absence shows as a coverage gap at once.

A *segment* is a stretch of time with the same people on duty; hand-overs are the boundaries
between segments. Everything else (now and next, the week grid, gaps, hand-over messages,
calendars) is read off segments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from peakguard.oncall.models import Override, Rotation
from peakguard.roster.models import Person

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Segment:
    role: str
    start: datetime
    end: datetime
    people: tuple[int, ...]
    """Person ids on duty, in the order to try them (priority, then id)."""


@dataclass(frozen=True)
class Slot:
    """One shift of a rotation."""

    rotation_id: int
    index: int
    start: datetime
    end: datetime
    person_id: int


def _local(day: date, at: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(part) for part in at.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def rotation_start(rotation: Rotation) -> datetime:
    return _local(rotation.starts_on, rotation.shifts[0], ZoneInfo(rotation.timezone))


def rotation_end(rotation: Rotation) -> datetime | None:
    if rotation.ends_on is None:
        return None
    return _local(rotation.ends_on, rotation.shifts[0], ZoneInfo(rotation.timezone))


def _slot(rotation: Rotation, day: date, j: int) -> Slot:
    zone = ZoneInfo(rotation.timezone)
    count = len(rotation.shifts)
    index = (day - rotation.starts_on).days * count + j
    start = _local(day, rotation.shifts[j], zone)
    end = _local(day, rotation.shifts[j + 1], zone) if j + 1 < count else _local(
        day + timedelta(days=1), rotation.shifts[0], zone
    )
    return Slot(rotation.id, index, start, end, rotation.members[index % len(rotation.members)])


def slots(rotation: Rotation, start: datetime, end: datetime) -> list[Slot]:
    """The rotation's shifts that overlap ``[start, end)``, clipped to the rotation's life."""
    zone = ZoneInfo(rotation.timezone)
    first_day = max(rotation.starts_on, start.astimezone(zone).date() - timedelta(days=1))
    last_day = end.astimezone(zone).date()
    life_start, life_end = rotation_start(rotation), rotation_end(rotation)
    out = []
    day = first_day
    while day <= last_day:
        for j in range(len(rotation.shifts)):
            slot = _slot(rotation, day, j)
            if slot.end <= start or slot.start >= end or slot.start < life_start:
                continue
            if life_end is not None and slot.start >= life_end:
                continue
            out.append(slot)
        day += timedelta(days=1)
    return out


def slot_at(rotation: Rotation, at: datetime) -> Slot | None:
    found = slots(rotation, at, at + timedelta(microseconds=1))
    return found[0] if found else None


class Schedule:
    """The rules of some roles, loaded once, answering for any instant."""

    def __init__(
        self, rotations: Iterable[Rotation], overrides: Iterable[Override], people: Iterable[Person]
    ) -> None:
        self.rotations = list(rotations)
        self.overrides = sorted(overrides, key=lambda o: o.id)
        self.people = {p.id: p for p in people}

    def scheduled(self, role: str) -> bool:
        return any(r.role == role for r in self.rotations)

    def on_duty(self, role: str, at: datetime) -> tuple[int, ...]:
        mine = [r for r in self.rotations if r.role == role]
        if mine:
            by_layer: dict[int, list[int]] = {}
            for rotation in mine:
                slot = slot_at(rotation, at)
                if slot is not None:
                    by_layer.setdefault(rotation.layer, []).append(slot.person_id)
            people = by_layer[max(by_layer)] if by_layer else []
        else:
            people = [p.id for p in self.people.values() if p.role == role]
        for o in self.overrides:
            if o.role != role or not o.start_at <= at < o.end_at:
                continue
            if o.replaces_id is None:
                people = [o.person_id]
            elif o.replaces_id in people:
                people = [o.person_id if p == o.replaces_id else p for p in people]
            else:
                people.append(o.person_id)
        known = [self.people[p] for p in dict.fromkeys(people) if p in self.people]
        available = [p for p in known if p.on_duty]
        return tuple(p.id for p in sorted(available, key=lambda p: (p.priority, p.id)))

    def boundaries(self, role: str, start: datetime, end: datetime) -> list[datetime]:
        """Every instant in ``(start, end)`` at which the people on duty may change."""
        points: set[datetime] = set()
        for rotation in self.rotations:
            if rotation.role == role:
                points.update(s.start for s in slots(rotation, start, end))
                points.update(s.end for s in slots(rotation, start, end))
        for o in self.overrides:
            if o.role == role:
                points.update((o.start_at, o.end_at))
        return sorted(p for p in points if start < p < end)

    def segments(self, role: str, start: datetime, end: datetime) -> list[Segment]:
        """``[start, end)`` cut where the people on duty change, adjacent equal stretches merged."""
        out: list[Segment] = []
        edges = [start, *self.boundaries(role, start, end), end]
        for a, b in zip(edges, edges[1:], strict=False):
            people = self.on_duty(role, a)
            if out and out[-1].people == people:
                out[-1] = Segment(role, out[-1].start, b, people)
            else:
                out.append(Segment(role, a, b, people))
        return out
