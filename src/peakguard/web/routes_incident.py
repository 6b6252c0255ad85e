"""The incident page (S3.4-S3.7): level, chain, people, deadline, the playbook as a checklist,
the timeline, every action (acknowledge, note, level with reason, resolve with the result
report) and the after-action review with measures, close and the PDF export."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from peakguard.auth.roles import Perm
from peakguard.deps import Now, SessionDep
from peakguard.errors import InvalidInput
from peakguard.incidents import lifecycle, presenters, queries, reporting, reviews
from peakguard.incidents.timeline_text import lines, user_names
from peakguard.limits import FormText, Id, Line
from peakguard.plan.service import current_plan, levels_by_rank
from peakguard.readiness import replies
from peakguard.roster.service import get_person
from peakguard.warehouse import clients
from peakguard.web import routes_quiet
from peakguard.web.actions import attempt
from peakguard.web.routes_warroom import POLL_SECONDS, clock_speed
from peakguard.web.security import (
    CSRF,
    PageCanReadIncidents,
    PageCanReviewIncidents,
    PageCanWriteIncidents,
)
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(incident_id: Id) -> str:
    return f"/incidents/{incident_id}"


@router.get("/incidents/{incident_id}/head")
def incident_head(
    request: Request,
    incident_id: Id,
    viewer: PageCanReadIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    """The page's head (status, level, deadline, people), polled so a level raised by the
    detectors or an acknowledgement from another screen shows without a reload."""
    plan = current_plan()
    incident = presenters.summary(session, queries.get(session, incident_id), plan)
    return render(
        request,
        "_incident_head.html",
        viewer,
        i=incident,
        now=now,
        speed=clock_speed(request),
        shops=clients.names_by_code(session),
    )


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request,
    incident_id: Id,
    viewer: PageCanReadIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    plan = current_plan()
    incident = queries.get(session, incident_id)
    detail = presenters.detail(session, incident, plan)
    people = {}
    for n in detail.notifications:
        if n.person_id is not None and n.person_id not in people:
            people[n.person_id] = get_person(session, n.person_id).name
    return render(
        request,
        "incident.html",
        viewer,
        i=detail,
        plan=plan,
        levels=levels_by_rank(plan),
        timeline=lines(
            detail.timeline,
            plan,
            detail.steps,
            viewer.lang,
            user_names(session, {t.actor for t in detail.timeline}),
        ),
        people=people,
        now=now,
        speed=clock_speed(request),
        poll=POLL_SECONDS,
        can_write=viewer.can(Perm.INCIDENTS_WRITE),
        can_review=viewer.can(Perm.INCIDENTS_REVIEW),
        replies=replies.for_kind(plan, incident.kind, viewer.lang),
        shops=clients.names_by_code(session),
        x=routes_quiet.extras(session, plan, incident, now),
    )


@router.post("/incidents/{incident_id}/ack", dependencies=[CSRF])
def acknowledge(
    request: Request,
    incident_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: lifecycle.acknowledge(session, viewer.actor, now, incident_id),
        "Acknowledged",
        _page(incident_id),
    )


@router.post("/incidents/{incident_id}/note", dependencies=[CSRF])
def add_note(
    request: Request,
    incident_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    text: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: lifecycle.add_note(session, viewer.actor, now, incident_id, text),
        "Note added",
        _page(incident_id),
    )


@router.post("/incidents/{incident_id}/level", dependencies=[CSRF])
def set_level(
    request: Request,
    incident_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    level: Annotated[str, Line(20), Form()] = "",
    reason: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: reporting.set_level(session, viewer.actor, now, incident_id, level, reason),
        "Level changed",
        _page(incident_id),
    )


@router.post("/incidents/{incident_id}/resolve", dependencies=[CSRF])
def resolve(
    request: Request,
    incident_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    result: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: lifecycle.resolve(session, viewer.actor, now, incident_id, result),
        "Incident resolved",
        _page(incident_id),
    )


@router.post("/incidents/{incident_id}/steps/{step_id}", dependencies=[CSRF])
def set_step(
    request: Request,
    incident_id: Id,
    step_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    state: Annotated[str, Line(20), Form()] = "",
    note: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: reviews.set_step(session, viewer.actor, now, incident_id, step_id, state, note),  # type: ignore[arg-type]
        "Step saved",
        _page(incident_id) + "#steps",
    )


@router.post("/incidents/{incident_id}/review", dependencies=[CSRF])
def save_review(
    request: Request,
    incident_id: Id,
    viewer: PageCanReviewIncidents,
    session: SessionDep,
    now: Now,
    root_cause: Annotated[FormText, Form()] = "",
    accountable_type: Annotated[str, Line(20), Form()] = "",
    accountable_name: Annotated[str, Line(120), Form()] = "",
    penalty_step: Annotated[str, Line(40), Form()] = "",
    disclosure_note: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: reviews.save_review(
            session,
            viewer.actor,
            now,
            incident_id,
            root_cause=root_cause,
            accountable_type=accountable_type or None,
            accountable_name=accountable_name or None,
            penalty_step=penalty_step or None,
            disclosure_note=disclosure_note,
        ),
        "Review saved",
        _page(incident_id) + "#review",
    )


def _due(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("due_date", "a date such as 2026-12-01") from None


@router.post("/incidents/{incident_id}/measures", dependencies=[CSRF])
def add_measure(
    request: Request,
    incident_id: Id,
    viewer: PageCanReviewIncidents,
    session: SessionDep,
    now: Now,
    description: Annotated[FormText, Form()] = "",
    owner: Annotated[str, Line(120), Form()] = "",
    due_date: Annotated[str, Line(40), Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: reviews.add_measure(
            session,
            viewer.actor,
            now,
            incident_id,
            description=description,
            owner=owner,
            due_date=_due(due_date),
        ),
        "Measure added",
        _page(incident_id) + "#review",
    )


@router.post("/incidents/{incident_id}/measures/{measure_id}/done", dependencies=[CSRF])
def complete_measure(
    request: Request,
    incident_id: Id,
    measure_id: Id,
    viewer: PageCanReviewIncidents,
    session: SessionDep,
    now: Now,
    note: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: reviews.complete_measure(session, viewer.actor, now, measure_id, note),
        "Measure done",
        _page(incident_id) + "#review",
    )


@router.post("/incidents/{incident_id}/close", dependencies=[CSRF])
def close(
    request: Request,
    incident_id: Id,
    viewer: PageCanReviewIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: lifecycle.close(session, viewer.actor, now, incident_id),
        "Closed",
        _page(incident_id),
    )
