"""The one question other domains ask of the schedule: who of a role is on duty at an instant,
in the order to try them. Kept apart from :mod:`peakguard.oncall.service` so the incident engine
and the notification outbox can import it without importing what the service itself uses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.oncall.models import Override, Rotation
from peakguard.oncall.schedule import Schedule
from peakguard.roster.models import Person


def load(
    session: Session, start: datetime, end: datetime, roles: Iterable[str] | None = None
) -> Schedule:
    """The rules that can matter in ``[start, end)``: the roles' rotations and the overrides
    that overlap the stretch, with every roster person (for names and availability)."""
    rotations = select(Rotation).order_by(Rotation.id)
    overrides = select(Override).where(Override.start_at < end, Override.end_at > start)
    people = select(Person)
    if roles is not None:
        wanted = list(roles)
        rotations = rotations.where(Rotation.role.in_(wanted))
        overrides = overrides.where(Override.role.in_(wanted))
    return Schedule(session.scalars(rotations), session.scalars(overrides), session.scalars(people))


def on_duty(session: Session, role: str, at: datetime) -> list[Person]:
    """Everyone of ``role`` on duty at ``at`` by the schedule, in the order to try them."""
    answers = session.info.get(_REMEMBERED)
    if answers is None:
        return _ask(session, role, at)
    if (role, at) not in answers:
        answers[role, at] = _ask(session, role, at)
    return list(answers[role, at])


def _ask(session: Session, role: str, at: datetime) -> list[Person]:
    schedule = load(session, at, at + timedelta(microseconds=1), [role])
    return [schedule.people[pid] for pid in schedule.on_duty(role, at)]


_REMEMBERED = "peakguard.oncall.duty.remembered"


@contextmanager
def remembered(session: Session) -> Iterator[None]:
    """Inside the block, who of a role is on duty at an instant is read from the schedule once.
    For a detector's round and a batch of follow-ups: they open or notify many incidents at one
    instant and change no rotation, override or person, and reading the whole schedule again for
    each incident was about 30% of a round's reporting (issue 14). Nested blocks share the outer
    one's answers."""
    if _REMEMBERED in session.info:
        yield
        return
    session.info[_REMEMBERED] = {}
    try:
        yield
    finally:
        del session.info[_REMEMBERED]
