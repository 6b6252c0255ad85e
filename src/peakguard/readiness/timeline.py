"""The day's timeline (S1.8) as reminders: at each point the plan names (00:00, 09:00, 15:00,
20:00, the last hour), its advice goes to its roles, in each person's language, once.

A reminder is due from its local time on the plan's day. One found more than
``reminder_grace_minutes`` late (the server was down) is recorded as ``missed`` rather than sent:
"00:00 main products burst" read at 03:00 is noise, and the page shows the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.i18n import gettext
from peakguard.notify import service as notify
from peakguard.plan.schemas import Plan, Reminder
from peakguard.readiness.models import ReminderSent


@dataclass(frozen=True)
class Point:
    reminder: Reminder
    due_at: datetime
    status: str
    """sent, missed, due (the ticker will send it within a second) or upcoming."""


def due_at(plan: Plan, reminder: Reminder) -> datetime:
    hour, minute = (int(part) for part in reminder.at.split(":"))
    local = datetime.combine(plan.readiness.day, time(hour, minute), tzinfo=ZoneInfo(plan.timezone))
    return local.astimezone(ZoneInfo("UTC"))


def remind(session: Session, now: datetime, plan: Plan) -> list[ReminderSent]:
    """Handle every reminder that has come due and was not handled yet."""
    day = plan.readiness.day.isoformat()
    handled = set(session.scalars(select(ReminderSent.at).where(ReminderSent.day == day)))
    grace = timedelta(minutes=plan.readiness.reminder_grace_minutes)
    out = []
    for reminder in plan.readiness.timeline:
        due = due_at(plan, reminder)
        if reminder.at in handled or due > now:
            continue
        row = ReminderSent(
            day=day,
            at=reminder.at,
            due_at=due,
            handled_at=now,
            status="sent" if now - due <= grace else "missed",
        )
        try:
            with session.begin_nested():  # the unique key: another server may have just done it
                session.add(row)
        except IntegrityError:
            continue
        if row.status == "sent":

            def render(language: str, reminder: Reminder = reminder) -> tuple[str, str]:
                subject = gettext(language, "Timeline {at}: what to do now", at=reminder.at)
                return subject, reminder.text.get(language)

            notify.enqueue(session, now, event="reminder", roles=reminder.roles, render=render)
        out.append(row)
    return out


def points(session: Session, plan: Plan, now: datetime) -> list[Point]:
    """The whole timeline with what happened to each point, for the readiness page."""
    rows = {
        r.at: r.status
        for r in session.scalars(
            select(ReminderSent).where(ReminderSent.day == plan.readiness.day.isoformat())
        )
    }
    out = []
    for reminder in plan.readiness.timeline:
        due = due_at(plan, reminder)
        out.append(Point(reminder, due, rows.get(reminder.at) or ("due" if due <= now else "upcoming")))
    return out
