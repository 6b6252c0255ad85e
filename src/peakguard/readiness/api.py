"""Readiness routes (S1): checklists with evidence, scores, the day's timeline, quick replies
and drills."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Response, UploadFile

from peakguard.clock import parse_iso
from peakguard.deps import CanReadReadiness, CanWriteReadiness, Now, SessionDep
from peakguard.errors import NotFound
from peakguard.i18n import normalise
from peakguard.limits import Id, Term
from peakguard.plan.service import current_plan
from peakguard.readiness import checklist, drills, replies, timeline
from peakguard.readiness.models import ChecklistItem, Drill
from peakguard.readiness.schemas import (
    AssignIn,
    DrillIn,
    DrillOut,
    ItemIn,
    ItemOut,
    PointOut,
    ReasonIn,
    ReplyOut,
    RiskScoreOut,
    ScoresOut,
)

router = APIRouter(prefix="/api/v1/readiness", tags=["readiness"])


def item_out(item: ChecklistItem, now: datetime) -> ItemOut:
    return ItemOut(
        id=item.id,
        risk=item.risk,
        template=item.template,
        text=item.text,
        owner_role=item.owner_role,
        owner_id=item.owner_id,
        due_at=item.due_at,
        overdue=checklist.is_overdue(item, now),
        done_at=item.done_at,
        done_by=item.done_by,
        evidence_note=item.evidence_note,
        evidence_file=item.evidence_name,
    )


def drill_out(drill: Drill) -> DrillOut:
    return DrillOut.model_validate(drill, from_attributes=True)


@router.get("/items", response_model=list[ItemOut])
def list_items(
    _: CanReadReadiness,
    session: SessionDep,
    now: Now,
    risk: Term | None = None,
) -> list[ItemOut]:
    return [item_out(i, now) for i in checklist.list_items(session, risk)]


@router.post("/items/init", response_model=list[ItemOut], status_code=201)
def init_items(
    actor: CanWriteReadiness,
    session: SessionDep,
    now: Now,
) -> list[ItemOut]:
    """Copy the plan's preparations not yet on the checklist; returns the ones added."""
    return [item_out(i, now) for i in checklist.init_from_plan(session, actor, now, current_plan())]


@router.post("/items", response_model=ItemOut, status_code=201)
def add_item(
    body: ItemIn,
    actor: CanWriteReadiness,
    session: SessionDep,
    now: Now,
) -> ItemOut:
    item = checklist.add_item(
        session,
        actor,
        now,
        current_plan(),
        risk=body.risk,
        text_zh=body.text_zh,
        text_en=body.text_en,
        owner_role=body.owner_role,
        due_at=parse_iso(body.due_at, "due_at"),
    )
    return item_out(item, now)


@router.post("/items/{item_id}/assign", response_model=ItemOut)
def assign(
    item_id: Id,
    body: AssignIn,
    actor: CanWriteReadiness,
    session: SessionDep,
    now: Now,
) -> ItemOut:
    return item_out(checklist.assign(session, actor, now, item_id, body.person_id), now)


@router.post("/items/{item_id}/done", response_model=ItemOut)
async def done(
    item_id: Id,
    actor: CanWriteReadiness,
    session: SessionDep,
    now: Now,
    note: Annotated[str | None, Form()] = None,
    evidence: UploadFile | None = File(None),
) -> ItemOut:
    """Mark done with evidence: a note, a file (multipart ``evidence``) or both."""
    content = await evidence.read(checklist.MAX_EVIDENCE_BYTES + 1) if evidence else None
    item = checklist.complete(
        session,
        actor,
        now,
        item_id,
        note=note,
        file_name=evidence.filename if evidence else None,
        file_type=evidence.content_type if evidence else None,
        content=content,
    )
    return item_out(item, now)


@router.post("/items/{item_id}/reopen", response_model=ItemOut)
def reopen(
    item_id: Id,
    body: ReasonIn,
    actor: CanWriteReadiness,
    session: SessionDep,
    now: Now,
) -> ItemOut:
    return item_out(checklist.reopen(session, actor, now, item_id, body.reason), now)


@router.get("/items/{item_id}/evidence")
def evidence(
    item_id: Id,
    _: CanReadReadiness,
    session: SessionDep,
) -> Response:
    item = checklist.get_item(session, item_id)
    if item.evidence_file is None:
        raise NotFound("item {item_id} has no evidence file", field="evidence", item_id=item_id)
    name = checklist.safe_file_name(item.evidence_name or "") or "evidence"
    fallback = name.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        item.evidence_file,
        media_type=checklist.safe_type(item.evidence_type),
        headers={
            # Always a download, never rendered on our origin; the CSP holds even if it were.
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get("/scores", response_model=ScoresOut)
def scores(
    _: CanReadReadiness,
    session: SessionDep,
    now: Now,
    lang: Term | None = None,
) -> ScoresOut:
    result = checklist.scores(session, current_plan(), now, normalise(lang))
    return ScoresOut(
        percent=result.percent,
        done=result.done,
        total=result.total,
        overdue=result.overdue,
        risks=[RiskScoreOut(**r.__dict__, percent=r.percent) for r in result.risks],
    )


@router.get("/timeline", response_model=list[PointOut])
def day_timeline(
    _: CanReadReadiness,
    session: SessionDep,
    now: Now,
    lang: Term | None = None,
) -> list[PointOut]:
    language = normalise(lang)
    return [
        PointOut(
            at=p.reminder.at,
            due_at=p.due_at,
            roles=p.reminder.roles,
            text=p.reminder.text.get(language),
            status=p.status,
        )
        for p in timeline.points(session, current_plan(), now)
    ]


@router.get("/quick-replies", response_model=list[ReplyOut])
def quick_replies(
    _: CanReadReadiness,
    kind: Term | None = None,
    lang: Term | None = None,
) -> list[ReplyOut]:
    plan, language = current_plan(), normalise(lang)
    found = replies.for_kind(plan, kind, language) if kind else replies.all_replies(plan, language)
    return [ReplyOut(**r.__dict__) for r in found]


@router.post("/drills", response_model=DrillOut, status_code=201)
def start_drill(
    body: DrillIn,
    actor: CanWriteReadiness,
    session: SessionDep,
    now: Now,
) -> DrillOut:
    """Inject the scenario's fault; the live detector opens its incident within a second."""
    return drill_out(drills.start(session, actor, now, current_plan(), body.scenario))


@router.get("/drills", response_model=list[DrillOut])
def list_drills(
    _: CanReadReadiness,
    session: SessionDep,
) -> list[DrillOut]:
    return [drill_out(d) for d in drills.recent(session)]


@router.get("/drills/{drill_id}", response_model=DrillOut)
def get_drill(
    drill_id: Id,
    _: CanReadReadiness,
    session: SessionDep,
    now: Now,
) -> DrillOut:
    return drill_out(drills.refresh(session, now, drills.get(session, drill_id)))
