"""Putting messages in the outbox for the people of a role, in their language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.i18n import DEFAULT_LANGUAGE, gettext
from peakguard.notify.models import Notification
from peakguard.oncall.duty import on_duty
from peakguard.roster.models import Person

Renderer = Callable[[str], tuple[str, str]]
"""Given a language, the (subject, body) of the message in it."""


def enqueue(
    session: Session,
    now: datetime,
    *,
    event: str,
    roles: Iterable[str],
    render: Renderer,
    incident_id: int | None = None,
    level: str | None = None,
) -> list[Notification]:
    """One message per on-duty person of each role; a role with nobody on duty gets a
    ``no_recipient`` row, so the gap shows on the war room instead of vanishing. ``level`` is
    the incident's, which decides whether phone and SMS may be used (``notify.channels``)."""
    rows: list[Notification] = []
    for role in dict.fromkeys(roles):
        people = on_duty(session, role, now)
        if not people:
            rows.append(_message(now, event, role, None, render, incident_id, level))
        rows += [_message(now, event, role, person, render, incident_id, level) for person in people]
    session.add_all(rows)
    return rows


def enqueue_person(
    session: Session,
    now: datetime,
    *,
    event: str,
    person: Person,
    render: Renderer,
    incident_id: int | None = None,
    level: str | None = None,
) -> Notification:
    """A message for one named person (the owner of a checklist item, a paged person), in
    their language."""
    row = _message(now, event, person.role, person, render, incident_id, level)
    session.add(row)
    return row


def _message(
    now: datetime,
    event: str,
    role: str,
    person: Person | None,
    render: Renderer,
    incident_id: int | None,
    level: str | None,
) -> Notification:
    language = person.language if person else DEFAULT_LANGUAGE
    subject, body = render(language)
    return Notification(
        created_at=now,
        event=event,
        incident_id=incident_id,
        role=role,
        person_id=person.id if person else None,
        language=language,
        level=level,
        subject=subject,
        body=body,
        status="pending" if person else "no_recipient",
        next_attempt_at=now if person else None,
    )


def for_incident(session: Session, incident_id: int) -> list[Notification]:
    query = select(Notification).where(Notification.incident_id == incident_id).order_by(Notification.id)
    return list(session.scalars(query))


def recent(session: Session, status: str | None = None, limit: int = 100) -> list[Notification]:
    """The delivery log, newest first."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Notification.status == status)
    return list(session.scalars(query))


def test_message(session: Session, now: datetime, person: Person) -> Notification:
    """A message that proves a person's channels work, before the day needs them."""
    message = enqueue_person(
        session,
        now,
        event="test",
        person=person,
        render=lambda language: (
            gettext(language, "PeakGuard test message"),
            gettext(language, "If you can read this, {name} will be reached on the day.", name=person.name),
        ),
    )
    session.flush()  # the caller follows this message by its id
    return message
