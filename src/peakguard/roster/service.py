"""Roster changes and the two questions the incident engine asks: who of a role is on duty, and
whom to assign (the on-duty person of the role with the fewest active incidents)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound
from peakguard.i18n import LANGUAGES
from peakguard.plan.schemas import AUTHORITY, Plan
from peakguard.roster import quiet
from peakguard.roster.models import Person

CHAT_PLATFORMS = {"dingtalk": Person.dingtalk_id, "wecom": Person.wecom_id, "feishu": Person.feishu_id}
"""Which roster column names a person's user on each chat platform (issue 17)."""


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
        raise InvalidInput("role", "unknown role {role!r}; one of {choices}", role=role, choices=', '.join(known))
    if language not in LANGUAGES:
        raise InvalidInput("language", "one of {choices}", choices=', '.join(LANGUAGES))
    channel_list = [c.strip() for c in channels if c.strip()]
    for i, channel in enumerate(channel_list):
        if "://" not in channel:
            raise InvalidInput(f"channels.{i}", "not a notification URL: {channel!r}", channel=channel)
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
        raise NotFound("no person {person_id} on the roster", person_id=person_id)
    return person


def list_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.role, Person.priority, Person.id)))


def set_contact(
    session: Session,
    actor: Actor,
    now: datetime,
    person_id: int,
    *,
    chat_ids: dict[str, str | None],
    quiet_hours: str | None = None,
    timezone: str | None = None,
) -> Person:
    """Set a person's chat user ids (``dingtalk``, ``wecom``, ``feishu``; "" clears one, absent
    keeps it), quiet hours and local time zone ("" clears). A chat id belongs to one person:
    a command from it acts as that person, so a second claim is refused."""
    person = get_person(session, person_id)
    for platform, value in chat_ids.items():
        column = CHAT_PLATFORMS.get(platform)
        if column is None:
            raise InvalidInput("platform", "one of {choices}", choices=", ".join(CHAT_PLATFORMS))
        if value is None:
            continue
        value = value.strip() or None
        if value is not None:
            if len(value) > 64:
                raise InvalidInput(f"{platform}_id", "at most 64 characters")
            holder = session.scalar(select(Person).where(column == value, Person.id != person.id))
            if holder is not None:
                raise Conflict(
                    "{platform} user {value!r} is already {name}'s",
                    field=f"{platform}_id",
                    platform=platform,
                    value=value,
                    name=holder.name,
                )
        setattr(person, column.key, value)
    if quiet_hours is not None:
        person.quiet_hours = (
            "-".join(t.strftime("%H:%M") for t in quiet.parse(quiet_hours)) if quiet_hours.strip() else None
        )
    if timezone is not None:
        person.timezone = quiet.check_zone(timezone.strip()) if timezone.strip() else None
    session.flush()
    record(
        session, actor, "roster.contact", "person", person.id, now,
        **{f"{p}_id": getattr(person, c.key) for p, c in CHAT_PLATFORMS.items()},
        quiet_hours=person.quiet_hours, timezone=person.timezone,
    )  # fmt: skip
    return person


def by_chat_id(session: Session, platform: str, user_ids: Iterable[str]) -> Person | None:
    """The person whose id on ``platform`` is one of ``user_ids`` (a platform may name a user
    several ways, e.g. Feishu's open_id and user_id)."""
    ids = [u for u in user_ids if u]
    if not ids:
        return None
    return session.scalar(
        select(Person).where(CHAT_PLATFORMS[platform].in_(ids)).order_by(Person.id).limit(1)
    )
