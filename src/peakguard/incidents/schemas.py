"""Incident API and CLI shapes. The CLI's ``--json`` prints the same models as the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from peakguard.incidents.models import Incident
from peakguard.limits import MAX_QUANTITY, FreeJson, Input, Line, Text
from peakguard.plan.schemas import Plan


class ReportIn(Input):
    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, Line(40)]
    area: Annotated[str, Line(64, min_length=1)]
    count: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)] = 1
    mode: Literal["add", "replace"] = "add"
    summary: Annotated[str, Text()] = ""
    details: FreeJson = {}


class LevelIn(Input):
    level: Annotated[str, Line(20)]
    reason: Annotated[str, Text(min_length=1)]


class NoteIn(Input):
    text: Annotated[str, Text(min_length=1)]


class ResolveIn(Input):
    result: Annotated[str, Text(min_length=1)]


class StepIn(Input):
    state: Literal["done", "skipped", "pending"]
    note: Annotated[str, Text()] = ""


class ReviewIn(Input):
    root_cause: Annotated[str, Text(min_length=1)]
    accountable_type: Literal["person", "outlet"] | None = None
    accountable_name: Annotated[str, Line(120)] | None = None
    penalty_step: Annotated[str, Line(40)] | None = None
    disclosure_note: Annotated[str, Text()] = ""


class MeasureIn(Input):
    description: Annotated[str, Text(min_length=1)]
    owner: Annotated[str, Line(120, min_length=1)]
    due_date: date


class MeasureDoneIn(Input):
    note: Annotated[str, Text()] = ""


class IncidentOut(BaseModel):
    id: int
    kind: str
    kind_name: dict[str, str]
    area: str
    count: int
    level: str
    level_name: dict[str, str]
    level_colour: str
    status: str
    summary: str
    source: str
    details: dict[str, Any]
    handler_role: str
    supervisor_role: str | None
    notify_roles: list[str]
    report_to_role: str
    task_force: bool
    assignee: str | None
    deadline_at: datetime
    deadline_minutes: int
    breached: bool
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    result_report: str | None

    @classmethod
    def of(cls, incident: Incident, plan: Plan, assignee: str | None = None) -> IncidentOut:
        level = plan.levels[incident.level]
        return cls(
            id=incident.id,
            kind=incident.kind,
            kind_name=plan.kinds[incident.kind].name.model_dump(),
            area=incident.area,
            count=incident.count,
            level=incident.level,
            level_name=level.name.model_dump(),
            level_colour=level.colour,
            status=incident.status,
            summary=incident.summary,
            source=incident.source,
            details=incident.details,
            handler_role=incident.handler_role,
            supervisor_role=incident.supervisor_role,
            notify_roles=incident.notify_roles,
            report_to_role=incident.report_to_role,
            task_force=incident.task_force,
            assignee=assignee,
            deadline_at=incident.deadline_at,
            deadline_minutes=incident.deadline_minutes,
            breached=incident.breached,
            opened_at=incident.opened_at,
            acknowledged_at=incident.acknowledged_at,
            resolved_at=incident.resolved_at,
            closed_at=incident.closed_at,
            result_report=incident.result_report,
        )


class ReportOut(IncidentOut):
    created: bool
    raised_from: str | None


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    event: str
    message: str
    detail: dict[str, Any]


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    text_zh: str
    text_en: str
    state: str
    note: str
    by: str | None
    at: datetime | None


class DeadlineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    level: str
    started_at: datetime
    due_at: datetime
    state: str
    fired_at: datetime | None


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    event: str
    role: str
    person_id: int | None
    language: str
    subject: str
    status: str


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    root_cause: str
    accountable_type: str | None
    accountable_name: str | None
    penalty_step: str | None
    disclosure_note: str
    updated_at: datetime
    updated_by: str


class MeasureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    description: str
    owner: str
    due_date: date
    done_at: datetime | None
    done_note: str


class IncidentDetailOut(IncidentOut):
    timeline: list[TimelineOut]
    steps: list[StepOut]
    deadlines: list[DeadlineOut]
    notifications: list[NotificationOut]
    review: ReviewOut | None
    measures: list[MeasureOut]
