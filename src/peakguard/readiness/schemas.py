"""API bodies and answers of readiness (S1): checklist items with their evidence, assignments and
risk scores, the day's timeline, quick replies and drills."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from peakguard.limits import Id, Input, Line, Term, Text
from peakguard.readiness import checklist


class ItemOut(BaseModel):
    id: int
    risk: Term
    template: str | None
    text: dict[str, str]
    owner_role: str
    owner_id: Id | None
    due_at: datetime
    overdue: bool
    done_at: datetime | None
    done_by: str | None
    evidence_note: str | None
    evidence_file: str | None


class ItemIn(Input):
    risk: Annotated[str, Line(40)]
    text_zh: Annotated[str, Text(checklist.MAX_TEXT)]
    text_en: Annotated[str, Text(checklist.MAX_TEXT)]
    owner_role: Annotated[str, Line(20)]
    due_at: Annotated[str, Line(40), Field(description="ISO 8601 with offset")]


class AssignIn(Input):
    person_id: Id


class ReasonIn(Input):
    reason: Annotated[str, Text(500, min_length=1)]


class RiskScoreOut(BaseModel):
    risk: Term
    section: str
    name: str
    done: int
    total: int
    overdue: int
    percent: int


class ScoresOut(BaseModel):
    percent: int
    done: int
    total: int
    overdue: int
    risks: list[RiskScoreOut]


class PointOut(BaseModel):
    at: str
    due_at: datetime
    roles: list[str]
    text: str
    status: Term


class ReplyOut(BaseModel):
    key: str
    title: str
    text: str


class DrillIn(Input):
    scenario: Annotated[str, Line(40)]


class DrillOut(BaseModel):
    id: int
    scenario: str
    kind: Term
    scope: str
    started_at: datetime
    started_by: str
    events: int
    incident_id: Id | None
    acknowledged_seconds: int | None
    resolved_seconds: int | None
    deadline_minutes: int | None
    outcome: str
