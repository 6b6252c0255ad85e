"""Roster changes and the two questions the incident engine asks: who of a role is on duty, and
whom to assign (the on-duty person of the role with the fewest active incidents)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import InvalidInput, NotFound
from peakguard.i18n import LANGUAGES
from peakguard.plan.schemas import AUTHORITY, Plan
from peakguard.roster.models import Person


def add_person(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    *,
    name: str,
    role: str,
    on_duty: bool = True,
    language: str = "zh_CN",
    channels: Iterable[str] = (),
    priority: int = 100,
    user_id: int | None = None,
) -> Person:
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    known = [*plan.roles, AUTHORITY]
    if role not in known:
        raise InvalidInput("role", f"unknown role {role!r}; one of {', '.join(known)}")
    if language not in LANGUAGES:
        raise InvalidInput("language", f"one of {', '.join(LANGUAGES)}")
    channel_list = [c.strip() for c in channels if c.strip()]
    for i, channel in enumerate(channel_list):
        if "://" not in channel:
            raise InvalidInput(f"channels.{i}", f"not a notification URL: {channel!r}")
    person = Person(
        name=name.strip(),
        role=role,
        on_duty=on_duty,
        language=language,
        channels=channel_list,
        priority=priority,
        user_id=user_id,
    )
    session.add(person)
    session.flush()
    record(session, actor, "roster.add", "person", person.id, now, name=person.name, role=role)
    return person


def set_duty(session: Session, actor: Actor, now: datetime, person_id: int, on_duty: bool) -> Person:
    person = get_person(session, person_id)
    person.on_duty = on_duty
    record(session, actor, "roster.duty", "person", person.id, now, on_duty=on_duty)
    return person


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id} on the roster")
    return person


def list_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.role, Person.priority, Person.id)))

