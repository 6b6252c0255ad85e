"""The readiness page (S1): each risk's score as a bar, its checklist with owners, due dates and
evidence (a note or a file), the day's timeline with what was sent, drills with their times
against the deadline, and the quick-reply library."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from peakguard.auth.roles import Perm
from peakguard.deps import Now, SessionDep
from peakguard.limits import FormText, Id, Line
from peakguard.oncall import service as oncall
from peakguard.plan.service import current_plan
from peakguard.readiness import checklist, drills, replies, timeline
from peakguard.roster import service as roster
from peakguard.sim.drills import SCENARIOS
from peakguard.web.actions import attempt
from peakguard.web.security import CSRF, PageCanReadReadiness, PageCanWriteReadiness
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
BACK = "/readiness"


@router.get("/readiness")
def readiness_page(
    request: Request,
    viewer: PageCanReadReadiness,
    session: SessionDep,
    now: Now,
) -> Response:
    plan = current_plan()
    items = checklist.list_items(session)
    return render(
        request,
        "readiness.html",
        viewer,
        plan=plan,
        now=now,
        scores=checklist.scores(session, plan, now, viewer.lang),
        items={key: [i for i in items if i.risk == key] for key in plan.readiness.risks},
        overdue={i.id for i in items if checklist.is_overdue(i, now)},
        people={p.id: p for p in roster.list_people(session)},
        points=timeline.points(session, plan, now),
        drills=[drills.refresh(session, now, d) for d in drills.recent(session)],
        scenarios=list(SCENARIOS),
        replies=replies.all_replies(plan, viewer.lang),
        gaps=oncall.gaps(session, plan, now),
        gap_days=plan.oncall.gap_days_ahead,
        can_write=viewer.can(Perm.READINESS_WRITE),
    )


@router.post("/readiness/init", dependencies=[CSRF])
def init(
    request: Request,
    viewer: PageCanWriteReadiness,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: checklist.init_from_plan(session, viewer.actor, now, current_plan()),
        "Checklist filled from the plan",
        BACK,
    )


@router.post("/readiness/items/{item_id}/done", dependencies=[CSRF])
async def done(
    request: Request,
    item_id: Id,
    viewer: PageCanWriteReadiness,
    session: SessionDep,
    now: Now,
    note: Annotated[FormText, Form()] = "",
    evidence: UploadFile | None = File(None),
) -> Response:
    content = (
        await evidence.read(checklist.MAX_EVIDENCE_BYTES + 1) if evidence and evidence.filename else None
    )
    return attempt(
        request,
        session,
        viewer,
        lambda: checklist.complete(
            session,
            viewer.actor,
            now,
            item_id,
            note=note,
            file_name=evidence.filename if evidence and content else None,
            file_type=evidence.content_type if evidence and content else None,
            content=content,
        ),
        "Marked done",
        f"{BACK}#item-{item_id}",
    )


@router.post("/readiness/items/{item_id}/assign", dependencies=[CSRF])
def assign(
    request: Request,
    item_id: Id,
    person_id: Annotated[Id, Form()],
    viewer: PageCanWriteReadiness,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: checklist.assign(session, viewer.actor, now, item_id, person_id),
        "Owner set",
        f"{BACK}#item-{item_id}",
    )


@router.post("/readiness/drills", dependencies=[CSRF])
def start_drill(
    request: Request,
    viewer: PageCanWriteReadiness,
    session: SessionDep,
    now: Now,
    scenario: Annotated[str, Line(40), Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: drills.start(session, viewer.actor, now, current_plan(), scenario),
        "Drill started: the incident opens within seconds",
        f"{BACK}#drills",
    )
