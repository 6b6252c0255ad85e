"""What a verified chat message does (issue 17): the person is found by their chat user id on
the roster, the command runs through the same incident services the web uses (acknowledge,
resolve with a note, tick the next playbook step, raise the level with a reason), so each
action is on the incident's timeline and in the audit log as that person. The answer is a
sentence in the person's language for the chat.

Only a request whose signature passed reaches here (see ``chatops.api``). A command that fails
(an unknown incident, one already acknowledged) changes nothing: it runs in a savepoint that is
rolled back, and the person is told why."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.chatops.commands import USAGE, BadCommand, Command, parse
from peakguard.chatops.models import ChatRequest
from peakguard.errors import Conflict, DomainError
from peakguard.i18n import DEFAULT_LANGUAGE, error_text, gettext
from peakguard.incidents import lifecycle, queries, reporting, reviews
from peakguard.incidents.models import PlaybookStep
from peakguard.notify import service as notify
from peakguard.plan.schemas import AUTHORITY, Plan
from peakguard.plan.service import current_plan, rank
from peakguard.roster import service as roster
from peakguard.roster.models import Person

log = logging.getLogger(__name__)
KEEP = timedelta(days=1)
"""How long an accepted request is remembered: well past the longest timestamp window (an hour,
DingTalk's) and past Feishu's re-deliveries of an event it is unsure we took, which come with
fresh timestamps and signatures but the same ``event_id``."""


def first_time(session: Session, platform: str, digest: str, now: datetime) -> bool:
    """Record a verified request; False if the same one was already acted on (a replay or a
    platform's retry)."""
    session.execute(delete(ChatRequest).where(ChatRequest.received_at < now - KEEP))
    try:
        with session.begin_nested():
            session.add(ChatRequest(platform=platform, digest=digest[:64], received_at=now))
    except IntegrityError:
        return False
    return True


def act(
    session: Session,
    now: datetime,
    platform: str,
    user_ids: list[str],
    text: str,
    plan: Plan | None = None,
    *,
    reply_by_message: bool = False,
) -> str:
    """Run one chat command as the person the platform names; the reply for the chat. Where the
    platform shows nothing of the callback's answer (a Feishu message), ``reply_by_message``
    also sends the reply to the person through their channels (``chat_reply`` in the outbox)."""
    plan = plan or current_plan()
    person = roster.by_chat_id(session, platform, user_ids)
    if person is None or person.role == AUTHORITY:
        log.warning("chat %s: user %s is not on the roster; nothing done", platform, user_ids)
        return gettext(
            DEFAULT_LANGUAGE,
            "You are not on the PeakGuard roster (your {platform} id {user}); ask the deputy to add it.",
            platform=platform,
            user=user_ids[0] if user_ids else "?",
        )
    reply = _answer(session, now, platform, person, text, plan)
    if reply_by_message:
        notify.enqueue_person(
            session, now, event="chat_reply", person=person,
            render=lambda language: (gettext(language, "PeakGuard: your command"), reply),
        )  # fmt: skip
    return reply


def _answer(session: Session, now: datetime, platform: str, person: Person, text: str, plan: Plan) -> str:
    language = person.language
    try:
        command = parse(text)
    except BadCommand as exc:
        return gettext(language, exc.message, **exc.values)
    if command.action == "help":
        return gettext(language, USAGE)
    actor = Actor(name=person.name, user_id=person.user_id, role=person.role)
    try:
        with session.begin_nested():
            done = _run(session, actor, now, plan, command, language)
            record(
                session, actor, "chat.command", "incident", command.incident_id, now,
                platform=platform, command=command.action,
            )  # fmt: skip
    except DomainError as exc:
        log.info("chat %s: %s's %r refused: %s", platform, person.name, command.action, exc.message)
        return gettext(language, "Not done: {reason}", reason=error_text(language, exc))
    return done


def _run(session: Session, actor: Actor, now: datetime, plan: Plan, command: Command, language: str) -> str:
    number = command.incident_id
    if command.action == "ack":
        lifecycle.acknowledge(session, actor, now, number)
        return gettext(language, "Incident #{id} acknowledged by {name}.", id=number, name=actor.name)
    if command.action == "resolve":
        lifecycle.resolve(session, actor, now, number, command.text, plan=plan)
        return gettext(language, "Incident #{id} resolved by {name}.", id=number, name=actor.name)
    if command.action == "step":
        incident = queries.get(session, number)
        step = session.scalar(
            select(PlaybookStep)
            .where(PlaybookStep.incident_id == incident.id, PlaybookStep.state == "pending")
            .order_by(PlaybookStep.position)
            .limit(1)
        )
        if step is None:
            raise Conflict("incident {number} has no step left to do", number=number)
        reviews.set_step(session, actor, now, number, step.id, "done", command.text)
        text = step.text_zh if language == "zh_CN" else step.text_en
        return gettext(
            language,
            "Incident #{id}: step {position} done ({step}).",
            id=number,
            position=step.position,
            step=text,
        )
    incident = queries.get(session, number)
    higher = sorted(
        (lv for key, lv in plan.levels.items() if lv.rank > rank(plan, incident.level)),
        key=lambda lv: lv.rank,
    )
    if not higher:
        raise Conflict("incident {number} is already at the highest level", number=number)
    level = next(key for key, lv in plan.levels.items() if lv is higher[0])
    reporting.set_level(session, actor, now, number, level, command.text, plan=plan)
    return gettext(
        language,
        "Incident #{id} raised to {level} by {name}.",
        id=number,
        level=higher[0].name.get(language),
        name=actor.name,
    )
