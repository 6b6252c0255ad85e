"""Roster routes."""

from __future__ import annotations

from fastapi import APIRouter

from peakguard.deps import CanManageRoster, CanReadRoster, Now, SessionDep
from peakguard.limits import Id
from peakguard.plan.service import current_plan
from peakguard.roster import service
from peakguard.roster.models import Person
from peakguard.roster.schemas import ContactIn, DutyIn, PersonIn, PersonOut

router = APIRouter(prefix="/api/v1/roster", tags=["roster"])


@router.get("", response_model=list[PersonOut])
def list_people(_: CanReadRoster, session: SessionDep) -> list[Person]:
    return service.list_people(session)


@router.post("", response_model=PersonOut, status_code=201)
def add_person(
    body: PersonIn,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> Person:
    return service.add_person(session, actor, now, current_plan(), **body.model_dump())


@router.put("/{person_id}/duty", response_model=PersonOut)
def set_duty(
    person_id: Id,
    body: DutyIn,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> Person:
    return service.set_duty(session, actor, now, person_id, body.on_duty)


@router.put("/{person_id}/contact", response_model=PersonOut)
def set_contact(
    person_id: Id,
    body: ContactIn,
    actor: CanManageRoster,
    session: SessionDep,
    now: Now,
) -> Person:
    """Chat user ids (a command from that user acts as this person), quiet hours and time zone."""
    return service.set_contact(
        session, actor, now, person_id,
        chat_ids={"dingtalk": body.dingtalk_id, "wecom": body.wecom_id, "feishu": body.feishu_id},
        quiet_hours=body.quiet_hours, timezone=body.timezone,
    )  # fmt: skip
