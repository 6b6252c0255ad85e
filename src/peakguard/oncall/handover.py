"""What the schedule sets off by itself each round: the hand-over message to whoever comes on
duty (with the open incidents they inherit), and coverage gaps kept as S1.4 readiness items."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.i18n import gettext
from peakguard.incidents import queries
from peakguard.incidents.models import ACTIVE
from peakguard.notify import service as notify
from peakguard.oncall import service
from peakguard.oncall.duty import load
from peakguard.oncall.models import Handover, Override, Rotation
from peakguard.plan.schemas import Plan
from peakguard.plan.service import get_kind, get_level
from peakguard.readiness import checklist
from peakguard.roster.models import Person

TICK = timedelta(microseconds=1)
MAX_LISTED = 20


def send_handovers(session: Session, now: datetime, plan: Plan) -> list[Handover]:
    """Tell each person who came on duty at a hand-over in the last ``handover_grace_minutes``
    (once: the unique row is claimed first) what is open now."""
    since = now - timedelta(minutes=plan.oncall.handover_grace_minutes)
    roles = set(session.scalars(select(Rotation.role))) | set(
        session.scalars(select(Override.role).where(Override.end_at > since))
    )
    schedule = load(session, since, now + service.LOOK_AHEAD, roles)
    sent = []
    for role in sorted(roles):
        for at in schedule.boundaries(role, since, now + TICK):
            incoming = set(schedule.on_duty(role, at)) - set(schedule.on_duty(role, at - TICK))
            for person_id in sorted(incoming):
                until = next(
                    (s.start for s in schedule.segments(role, at, at + service.LOOK_AHEAD) if person_id not in s.people),
                    None,
                )
                row = _claim(session, role, at, person_id, now)
                if row is not None:
                    _tell(session, now, plan, schedule.people[person_id], role, until, row)
                    sent.append(row)
    return sent


def _claim(session: Session, role: str, at: datetime, person_id: int, now: datetime) -> Handover | None:
    open_count = len(queries.list_incidents(session, status=ACTIVE))
    row = Handover(role=role, at=at, person_id=person_id, sent_at=now, open_incidents=open_count)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None  # told already (another round or another server)
    return row


def _tell(
    session: Session, now: datetime, plan: Plan, person: Person, role: str, until: datetime | None, row: Handover
) -> None:
    zone = ZoneInfo(plan.timezone)
    active = queries.list_incidents(session, status=ACTIVE, limit=MAX_LISTED)

    def render(language: str) -> tuple[str, str]:
        until_text = until.astimezone(zone).strftime("%m-%d %H:%M") if until else "-"
        subject = gettext(
            language, "You are on call now as {role} until {until}", role=gettext(language, role), until=until_text
        )
        if not active:
            return subject, gettext(language, "No open incidents. Good luck with your shift.")
        lines = [
            gettext(
                language,
                "#{id} [{level}] {kind} in {area} ({status}), handle by {deadline}",
                id=i.id,
                level=get_level(plan, i.level).name.get(language),
                kind=get_kind(plan, i.kind).name.get(language),
                area=i.area,
                status=gettext(language, i.status),
                deadline=i.deadline_at.astimezone(zone).strftime("%m-%d %H:%M"),
            )
            for i in active
        ]
        head = gettext(language, "Open incidents you take over ({count}):", count=row.open_incidents)
        return subject, "\n".join([head, *lines])

    notify.enqueue_person(session, now, event="handover", person=person, render=render)


def keep_gap_items(session: Session, now: datetime, plan: Plan) -> list[str]:
    """One readiness item per needed role (S1.4 staff shortage): open and overdue while the
    role has a coverage gap ahead, done again once the schedule covers it. Returns the roles
    with a gap."""
    if plan.oncall.gap_risk is None:
        return []
    zone = ZoneInfo(plan.timezone)
    found = service.gaps(session, plan, now)
    actor = Actor.system("oncall")
    for role in plan.oncall.needs:
        mine = [g for g in found if g.role == role]
        text = {}
        for language in ("zh_CN", "en"):
            first = mine[0] if mine else None
            text[language] = gettext(
                language,
                "Nobody on call as {role} from {start} to {end} ({count} gaps in the next {days} days): fill the schedule",
                role=gettext(language, role),
                start=first.start.astimezone(zone).strftime("%m-%d %H:%M") if first else "-",
                end=first.end.astimezone(zone).strftime("%m-%d %H:%M") if first else "-",
                count=len(mine),
                days=plan.oncall.gap_days_ahead,
            )
        checklist.keep_system_item(
            session, actor, now,
            template=f"oncall_gap.{role}", risk=plan.oncall.gap_risk, owner_role=plan.oncall.gap_owner_role,
            text=text, open_=bool(mine), done_note="covered: the schedule has someone on call again",
        )  # fmt: skip
    return sorted({g.role for g in found})
