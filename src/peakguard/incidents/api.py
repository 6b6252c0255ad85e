"""Incident routes under /api/v1 (thin: each calls one service function)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from peakguard.deps import (
    CanReadIncidents,
    CanReviewIncidents,
    CanWriteIncidents,
    Now,
    SessionDep,
)
from peakguard.idempotency import IdempotencyKeyDep, remember, replay
from peakguard.incidents import export, lifecycle, presenters, queries, reporting, reviews
from peakguard.incidents.models import Measure, PlaybookStep, Review
from peakguard.incidents.schemas import (
    IncidentDetailOut,
    IncidentOut,
    LevelIn,
    MeasureDoneIn,
    MeasureIn,
    MeasureOut,
    NoteIn,
    ReportIn,
    ReportOut,
    ResolveIn,
    ReviewIn,
    ReviewOut,
    StepIn,
    StepOut,
    TimelineOut,
)
from peakguard.limits import Id, Term
from peakguard.plan.service import current_plan

router = APIRouter(prefix="/api/v1", tags=["incidents"])


@router.get("/incidents", response_model=list[IncidentOut])
def list_incidents(
    _: CanReadIncidents,
    session: SessionDep,
    status: list[Term] | None = Query(None, description="open, acknowledged, resolved, closed"),
    kind: Term | None = None,
    area: Term | None = None,
) -> list[IncidentOut]:
    plan = current_plan()
    rows = queries.list_incidents(session, status=status, kind=kind, area=area, plan=plan)
    return [presenters.summary(session, i, plan) for i in rows]


@router.get("/incidents/counts")
def counts(_: CanReadIncidents, session: SessionDep) -> dict[str, int]:
    """Active incidents per level."""
    return queries.counts_by_level(session)


@router.post("/incidents", response_model=ReportOut, status_code=201)
def report(
    body: ReportIn,
    response: Response,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
    key: IdempotencyKeyDep,
) -> ReportOut | Response:
    """Open an incident, or update the active one of the same kind and area (200 then). With
    an ``Idempotency-Key``, a retry of the same report is answered as the first was."""
    if (answer := replay(session, actor, key)) is not None:
        return answer
    plan = current_plan()
    result = reporting.report(session, actor, now, plan=plan, **body.model_dump())
    if not result.created:
        response.status_code = 200
    out = presenters.report_out(session, result, plan)
    return remember(session, actor, now, key, out, 201 if result.created else 200)


@router.get("/incidents/{incident_id}", response_model=IncidentDetailOut)
def detail(incident_id: Id, _: CanReadIncidents, session: SessionDep) -> IncidentDetailOut:
    return presenters.detail(session, queries.get(session, incident_id), current_plan())


@router.post("/incidents/{incident_id}/ack", response_model=IncidentOut)
def acknowledge(
    incident_id: Id,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> IncidentOut:
    incident = lifecycle.acknowledge(session, actor, now, incident_id)
    return presenters.summary(session, incident, current_plan())


@router.post("/incidents/{incident_id}/notes", response_model=TimelineOut, status_code=201)
def add_note(
    incident_id: Id,
    body: NoteIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
    key: IdempotencyKeyDep,
) -> TimelineOut | Response:
    if (answer := replay(session, actor, key)) is not None:
        return answer
    entry = lifecycle.add_note(session, actor, now, incident_id, body.text)
    return remember(session, actor, now, key, TimelineOut.model_validate(entry), 201)


@router.post("/incidents/{incident_id}/level", response_model=IncidentOut)
def set_level(
    incident_id: Id,
    body: LevelIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> IncidentOut:
    plan = current_plan()
    incident = reporting.set_level(session, actor, now, incident_id, body.level, body.reason, plan)
    return presenters.summary(session, incident, plan)


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentOut)
def resolve(
    incident_id: Id,
    body: ResolveIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> IncidentOut:
    plan = current_plan()
    incident = lifecycle.resolve(session, actor, now, incident_id, body.result, plan)
    return presenters.summary(session, incident, plan)


@router.post("/incidents/{incident_id}/close", response_model=IncidentOut)
def close(
    incident_id: Id,
    actor: CanReviewIncidents,
    session: SessionDep,
    now: Now,
) -> IncidentOut:
    incident = lifecycle.close(session, actor, now, incident_id)
    return presenters.summary(session, incident, current_plan())


@router.put("/incidents/{incident_id}/steps/{step_id}", response_model=StepOut)
def set_step(
    incident_id: Id,
    step_id: Id,
    body: StepIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> PlaybookStep:
    return reviews.set_step(session, actor, now, incident_id, step_id, body.state, body.note)


@router.put("/incidents/{incident_id}/review", response_model=ReviewOut)
def save_review(
    incident_id: Id,
    body: ReviewIn,
    actor: CanReviewIncidents,
    session: SessionDep,
    now: Now,
) -> Review:
    return reviews.save_review(session, actor, now, incident_id, **body.model_dump())


@router.post("/incidents/{incident_id}/measures", response_model=MeasureOut, status_code=201)
def add_measure(
    incident_id: Id,
    body: MeasureIn,
    actor: CanReviewIncidents,
    session: SessionDep,
    now: Now,
    key: IdempotencyKeyDep,
) -> MeasureOut | Response:
    if (answer := replay(session, actor, key)) is not None:
        return answer
    measure = reviews.add_measure(session, actor, now, incident_id, **body.model_dump())
    return remember(session, actor, now, key, MeasureOut.model_validate(measure), 201)


@router.post("/measures/{measure_id}/done", response_model=MeasureOut)
def complete_measure(
    measure_id: Id,
    body: MeasureDoneIn,
    actor: CanReviewIncidents,
    session: SessionDep,
    now: Now,
) -> Measure:
    return reviews.complete_measure(session, actor, now, measure_id, body.note)


@router.get("/incidents/{incident_id}/review.md")
def review_markdown(
    incident_id: Id, _: CanReadIncidents, session: SessionDep, lang: Term = "zh_CN"
) -> Response:
    text = export.markdown(session, queries.get(session, incident_id), current_plan(), lang)
    return Response(text, media_type="text/markdown; charset=utf-8")


@router.get("/incidents/{incident_id}/review.pdf")
def review_pdf(incident_id: Id, _: CanReadIncidents, session: SessionDep, lang: Term = "zh_CN") -> Response:
    data = export.pdf(session, queries.get(session, incident_id), current_plan(), lang)
    headers = {"Content-Disposition": f'attachment; filename="incident-{incident_id}-review.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)
