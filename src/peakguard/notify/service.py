"""Putting messages in the outbox for the people of a role, in their language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.i18n import DEFAULT_LANGUAGE
from peakguard.notify.models import Notification
from peakguard.roster import service as roster

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
) -> list[Notification]:
    """One message per on-duty person of each role; a role with nobody on duty gets a
    ``no_recipient`` row, so the gap shows on the war room instead of vanishing."""
    rows: list[Notification] = []
    for role in dict.fromkeys(roles):
        people = roster.on_duty(session, role)
        if not people:
            subject, body = render(DEFAULT_LANGUAGE)
            rows.append(
                Notification(
                    created_at=now,
                    event=event,
                    incident_id=incident_id,
                    role=role,
                    person_id=None,
                    language=DEFAULT_LANGUAGE,
                    subject=subject,
                    body=body,
                    status="no_recipient",
                )
            )
            continue
        for person in people:
            subject, body = render(person.language)
            rows.append(
                Notification(
                    created_at=now,
                    event=event,
                    incident_id=incident_id,
                    role=role,
                    person_id=person.id,
                    language=person.language,
                    subject=subject,
                    body=body,
                    status="pending",
                    next_attempt_at=now,
                )
            )
    session.add_all(rows)
    return rows


def for_incident(session: Session, incident_id: int) -> list[Notification]:
    query = select(Notification).where(Notification.incident_id == incident_id).order_by(Notification.id)
    return list(session.scalars(query))
