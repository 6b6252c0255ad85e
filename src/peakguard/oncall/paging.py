"""Escalation until acknowledged (issue 17), beside the S3.4 handling deadline (which this
never touches).

When an incident opens (or its level changes) at a level with an ``oncall.escalation`` rule,
the assignee is paged and has ``ack_minutes`` to acknowledge (the first page is the message
that already told them of the incident at that moment, when there is one: one alert, not two). Each page is a row. When a page's
time runs out unanswered, the ticker marks it ``missed`` and pages the next one in the sequence
*as the schedule stands at that moment*: the other people of the handler role on duty, then the
supervisor role's; after the last, the sequence starts again, up to ``rounds`` times. So a
20:00 hand-over moves paging to the night person without anyone doing anything.

Exactly once, like the deadlines: the ticker claims a due page with a conditional update
(``state = 'waiting'`` in the WHERE clause) before it pages the next person, and the next page's
``(incident, chain, step)`` is unique. Two tickers, or a ticker killed and restarted mid-way,
never page anyone twice. An acknowledgement marks the waiting page ``answered`` in the same
transaction, so nothing due afterwards pages again. Every page after the first is also on the
incident's timeline (``paged``), as is the end of the last round (``paging_ended``).

A muted incident (:mod:`peakguard.oncall.mutes`: an inhibition rule of the plan, or a person's
snooze) is not paged: :func:`start` pages nobody and :func:`tick` stops its due page;
:mod:`peakguard.oncall.snooze` starts a new escalation when the mute ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.errors import NotFound
from peakguard.i18n import gettext
from peakguard.incidents.models import Incident
from peakguard.incidents.notices import named
from peakguard.incidents.timeline import add_entry
from peakguard.notify import service as notify
from peakguard.notify.delivery import redact
from peakguard.oncall import mutes
from peakguard.oncall.duty import on_duty
from peakguard.oncall.models import Page
from peakguard.plan.schemas import Escalation, Plan
from peakguard.plan.service import get_level
from peakguard.roster.models import Person

Target = tuple[str, Person | None]
"""(role, person); person None when nobody of the role is on duty."""


def rule_for(plan: Plan, level: str) -> Escalation | None:
    return plan.oncall.escalation.get(level)


def supervisor_role(plan: Plan, level: str) -> str:
    """Paged after the handler role: the rule's, else the level's supervisor, else the first
    role a breach escalates to."""
    rule, chain = rule_for(plan, level), get_level(plan, level)
    return (rule.supervisor if rule else None) or chain.supervisor or chain.escalate_to[0]


def start(session: Session, plan: Plan, incident: Incident, now: datetime) -> Page | None:
    """Begin a new escalation for the incident's (new) level: page the assignee."""
    stop(session, incident.id)
    if rule_for(plan, incident.level) is None or mutes.hold(session, plan, incident, now):
        return None  # no rule, or muted (inhibited or snoozed): snooze.tick restarts it after
    chain = (session.scalar(select(func.max(Page.chain)).where(Page.incident_id == incident.id)) or 0) + 1
    first = sequence(session, plan, incident, now)[0]
    return _page(session, plan, incident, now, chain=chain, round_=1, step=0, target=first)


def sequence(session: Session, plan: Plan, incident: Incident, now: datetime) -> list[Target]:
    """Whom to page, in order, as the schedule stands at ``now``: the handler role on duty (the
    assignee first), then the supervisor role on duty. Never empty: a role with nobody on duty
    is one ``(role, None)`` entry, so the gap is paged as such and the escalation moves on."""
    handlers = on_duty(session, incident.handler_role, now)
    handlers.sort(key=lambda p: p.id != incident.assignee_id)  # stable: the rest keep their order
    targets: list[Target] = [(incident.handler_role, p) for p in handlers] or [(incident.handler_role, None)]
    role = supervisor_role(plan, incident.level)
    if role != incident.handler_role:
        supervisors = on_duty(session, role, now)
        targets += [(role, p) for p in supervisors] or [(role, None)]
    return targets


def tick(session: Session, now: datetime, plan: Plan) -> list[Page]:
    """Page the next target of every escalation whose page went unanswered; each once."""
    due = session.scalars(
        select(Page).where(Page.state == "waiting", Page.due_at <= now).order_by(Page.due_at, Page.id)
    ).all()
    paged = []
    for page in due:
        claimed = session.execute(
            update(Page)
            .where(Page.id == page.id, Page.state == "waiting")
            .values(state="missed")
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # answered meanwhile, or another ticker took it
        session.refresh(page)
        incident = session.get(Incident, page.incident_id)
        rule = rule_for(plan, page.level)
        if incident is None or incident.status != "open" or rule is None or incident.level != page.level:
            page.state = "stopped"
            continue
        if mutes.hold(session, plan, incident, now):
            page.state = "stopped"  # muted meanwhile: paging starts again when the mute ends
            continue
        targets = sequence(session, plan, incident, now)
        done = {
            (role, person_id)
            for role, person_id in session.execute(
                select(Page.role, Page.person_id).where(
                    Page.incident_id == incident.id, Page.chain == page.chain, Page.round == page.round
                )
            )
        }
        left = [(role, p) for role, p in targets if (role, p.id if p else None) not in done]
        if left:
            round_, target = page.round, left[0]
        elif page.round < rule.rounds:
            round_, target = page.round + 1, targets[0]
        else:
            _log(session, incident, now, "paging_ended", f"no acknowledgement after {rule.rounds} rounds")
            continue
        paged.append(
            _page(session, plan, incident, now, chain=page.chain, round_=round_, step=page.step + 1, target=target)
        )
    return paged


def answered(session: Session, incident_id: int, actor: Actor, now: datetime) -> None:
    """The incident was acknowledged: the waiting page is answered, paging stops."""
    session.execute(
        update(Page)
        .where(Page.incident_id == incident_id, Page.state == "waiting")
        .values(state="answered", answered_at=now, answered_by=actor.name)
        .execution_options(synchronize_session=False)
    )


def stop(session: Session, incident_id: int) -> None:
    session.execute(
        update(Page)
        .where(Page.incident_id == incident_id, Page.state == "waiting")
        .values(state="stopped")
        .execution_options(synchronize_session=False)
    )


def pages_of(session: Session, incident_id: int) -> list[Page]:
    if session.get(Incident, incident_id) is None:
        raise NotFound("no incident {incident_id}", field="incident_id", incident_id=incident_id)
    return list(session.scalars(select(Page).where(Page.incident_id == incident_id).order_by(Page.id)))


def _page(
    session: Session,
    plan: Plan,
    incident: Incident,
    now: datetime,
    *,
    chain: int,
    round_: int,
    step: int,
    target: Target,
) -> Page:
    rule = rule_for(plan, incident.level)
    assert rule is not None
    role, person = target
    due = now + timedelta(minutes=rule.ack_minutes)
    page = Page(
        incident_id=incident.id,
        level=incident.level,
        chain=chain,
        round=round_,
        step=step,
        role=role,
        person_id=person.id if person else None,
        channel=", ".join(redact(url) for url in person.channels)[:200] if person else "",
        paged_at=now,
        due_at=due,
        state="waiting",
    )
    if person is not None:
        session.flush()
        told = [n for n in notify.for_incident(session, incident.id) if n.person_id == person.id and n.created_at == now]
        message = told[-1] if told else notify.enqueue_person(
            session, now, event="page", person=person, incident_id=incident.id, level=incident.level,
            render=_renderer(plan, incident, due, round_, rule.ack_minutes),
        )  # fmt: skip
        session.flush()
        page.notification_id = message.id
    session.add(page)
    session.flush()
    if step > 0:  # the first page is the opening (or re-levelling) itself, already on the timeline
        who = person.name if person else f"nobody on duty as {role}"
        _log(session, incident, now, "paged", f"paged {who} ({role}), round {round_}; acknowledge by {due.isoformat()}")
    return page


def _renderer(plan: Plan, incident: Incident, due: datetime, round_: int, minutes: int) -> notify.Renderer:
    zone = ZoneInfo(plan.timezone)

    def render(language: str) -> tuple[str, str]:
        values = {
            **named(plan, incident, language),
            "minutes": minutes,
            "due": due.astimezone(zone).strftime("%H:%M"),
            "round": round_,
        }
        return (
            gettext(language, "[{level}] Page: incident #{id}, {kind} in {area}: acknowledge within {minutes} min", **values),
            gettext(
                language,
                "You are paged (round {round}). Acknowledge incident #{id} by {due}, or the next person is paged.",
                **values,
            ),
        )

    return render


def _log(session: Session, incident: Incident, now: datetime, event: str, message: str) -> None:
    add_entry(session, incident, Actor.system("paging"), now, event, message)
