"""The message text of what the engine tells people (opened, raised, deadline near or missed,
resolved), in each recipient's language, put in the notification outbox with the change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from peakguard.i18n import gettext
from peakguard.incidents.models import Incident
from peakguard.notify import service as notify
from peakguard.plan.schemas import Plan
from peakguard.plan.service import get_kind, get_level


def tell(
    session: Session, plan: Plan, incident: Incident, now: datetime, event: str, roles: Iterable[str]
) -> None:
    """Queue the event's message for every person of ``roles``, each in their own language, in
    the outbox of the same transaction (a rollback sends nothing)."""

    def render(language: str) -> tuple[str, str]:
        values = {
            **named(plan, incident, language),
            "count": incident.count,
            "deadline": incident.deadline_at.astimezone(_zone(plan)).strftime("%m-%d %H:%M"),
            "result": incident.result_report or "",
        }
        subject = gettext(language, SUBJECTS[event], **values)
        body = gettext(language, BODIES[event], **values)
        return subject, body

    notify.enqueue(
        session, now, event=event, roles=roles, render=render, incident_id=incident.id, level=incident.level
    )


def named(plan: Plan, incident: Incident, language: str) -> dict[str, object]:
    """What every message about an incident names: its level and kind in the reader's language,
    its area and its number. Pages and client-update reminders build on it too."""
    return {
        "level": get_level(plan, incident.level).name.get(language),
        "kind": get_kind(plan, incident.kind).name.get(language),
        "area": incident.area,
        "id": incident.id,
    }


def _zone(plan: Plan) -> ZoneInfo:
    return ZoneInfo(plan.timezone)


SUBJECTS = {
    "opened": "[{level}] New incident #{id}: {kind} in {area}",
    "level_raised": "[{level}] Incident #{id} raised: {kind} in {area}",
    "level_changed": "[{level}] Incident #{id} level changed: {kind} in {area}",
    "deadline_near": "[{level}] Deadline near on incident #{id}: {kind} in {area}",
    "breached": "[{level}] Deadline missed on incident #{id}: {kind} in {area}",
    "resolved": "[{level}] Incident #{id} resolved: {kind} in {area}",
}
BODIES = {
    "opened": "{kind} in {area}, count {count}. Handle it by {deadline}.",
    "level_raised": "{kind} in {area} now counts {count}. Handle it by {deadline}.",
    "level_changed": "{kind} in {area} was set to {level} by hand. Handle it by {deadline}.",
    "deadline_near": "{kind} in {area} must be handled by {deadline}. Finish it or ask for help now.",
    "breached": "{kind} in {area} was not done by {deadline}. Step in now.",
    "resolved": "Result: {result}",
}
