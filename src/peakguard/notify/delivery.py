"""Delivering the outbox through Apprise (DingTalk, WeCom, Feishu, Slack, e-mail, webhooks).

Each round takes the pending messages that are due, tries the person's channels in order and
marks the message ``sent`` at the first that accepts it. Phone and SMS channels are tried only
for serious incidents and out of the person's quiet hours (:mod:`peakguard.notify.channels`);
a chat channel's message ends with the commands that act on the incident from the chat. A
message that no channel accepts is retried with back-off (``RETRY_MINUTES``); after
``MAX_ATTEMPTS`` it is ``failed`` and a copy goes to the next on-duty person of the same role,
so an alert is never left with nobody.

Delivery is at-least-once: the row is updated in the same transaction as the send, so a crash
between the two re-sends on restart rather than losing the message. Rows are claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two servers never send the same message; SQLite
serialises writers anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.chatops.cards import dingtalk_action_card, send_dingtalk_card
from peakguard.chatops.commands import hint
from peakguard.db import Database
from peakguard.notify.channels import CHAT, route, scheme
from peakguard.notify.models import Notification
from peakguard.oncall.duty import on_duty
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan
from peakguard.roster.models import Person

MAX_ATTEMPTS = 3
RETRY_MINUTES = (1, 5)
"""Waits after the first and second failed attempt."""
BATCH = 20

Sender = Callable[[str, str, str], bool]
"""(channel URL, title, body) -> accepted?"""
CardSender = Callable[[str, dict[str, Any]], bool]
"""(a ``dingtalk://`` URL, an ActionCard) -> accepted?"""


def apprise_send(url: str, title: str, body: str) -> bool:
    """Send through Apprise, imported here: it pulls in requests and its plugins (about half a
    second), which a one-shot command that only reads incidents should not pay for."""
    import apprise

    sender = apprise.Apprise()
    if not sender.add(url):
        return False
    return bool(sender.notify(title=title, body=body))


@dataclass
class Round:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    handed_on: int = 0


def deliver_due(
    session: Session,
    now: datetime,
    send: Sender = apprise_send,
    plan: Plan | None = None,
    send_card: CardSender = send_dingtalk_card,
) -> Round:
    plan = plan or current_plan()
    result = Round()
    query = (
        select(Notification)
        .where(Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    for message in session.scalars(query).all():
        person = session.get(Person, message.person_id) if message.person_id else None
        message.attempts += 1
        errors, skipped = [], []
        for choice in route(person, message.level, message.event, plan, now) if person else []:
            if not choice.use:
                skipped.append(f"{redact(choice.url)} skipped: {choice.why}")
                continue
            if _send(send, send_card, message, choice.url):
                message.status, message.sent_at, message.last_error = "sent", now, None
                result.sent += 1
                break
            errors.append(redact(choice.url))
        else:
            tried = ("no channel accepted: " + ", ".join(errors)) if errors else "no channel"
            message.last_error = "; ".join([tried, *skipped])
            if errors and message.attempts < MAX_ATTEMPTS:
                message.next_attempt_at = now + timedelta(minutes=RETRY_MINUTES[message.attempts - 1])
                result.retried += 1
                continue
            message.status = "failed"
            result.failed += 1
            if _hand_on(session, now, message, person):
                result.handed_on += 1
    return result


def delivery_job(db: Database, now: datetime) -> Round:
    """The delivery round inside ``peakguard serve``."""
    with db.transaction() as session:
        return deliver_due(session, now)


def _hand_on(session: Session, now: datetime, message: Notification, person: Person | None) -> bool:
    """Queue a copy for the next on-duty person of the role after ``person``, if there is one."""
    people = on_duty(session, message.role, now)
    ids = [p.id for p in people]
    after = ids.index(person.id) + 1 if person is not None and person.id in ids else len(ids)
    if after >= len(people):
        return False
    nxt = people[after]
    session.add(
        Notification(
            created_at=now,
            event=message.event,
            incident_id=message.incident_id,
            role=message.role,
            person_id=nxt.id,
            language=message.language,
            level=message.level,
            subject=message.subject,
            body=message.body,
            status="pending",
            next_attempt_at=now,
        )
    )
    return True


def _send(send: Sender, send_card: CardSender, message: Notification, url: str) -> bool:
    """A message about an incident sent to a chat carries the commands that act on it: as
    buttons on a DingTalk ActionCard, as the replies to type under the text elsewhere."""
    if message.incident_id is None or scheme(url) not in CHAT:
        return send(url, message.subject, message.body)
    if scheme(url) == "dingtalk":
        card = dingtalk_action_card(message.subject, message.body, message.language, message.incident_id)
        return send_card(url, card)
    return send(url, message.subject, f"{message.body}\n\n{hint(message.language, message.incident_id)}")


def redact(url: str) -> str:
    """The scheme and host only: channel URLs carry tokens and passwords."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}"
