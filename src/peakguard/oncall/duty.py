"""The one question other domains ask of the schedule: who of a role is on duty at an instant,
in the order to try them. Kept apart from :mod:`peakguard.oncall.service` so the incident engine
and the notification outbox can import it without importing what the service itself uses."""

from __future__ import annotations

from collections.abc import Iterable
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
    schedule = load(session, at, at + timedelta(microseconds=1), [role])
    return [schedule.people[pid] for pid in schedule.on_duty(role, at)]
