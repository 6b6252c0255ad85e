"""On-call API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from peakguard.limits import Id, Input, Line


class RotationIn(Input):
    name: Annotated[str, Line(120, min_length=1)]
    role: Annotated[str, Line(20)]
    shifts: list[Annotated[str, Line(5)]] = Field(min_length=1, max_length=24, examples=[["08:00", "20:00"]])
    members: list[Id] = Field(min_length=1, max_length=50)
    starts_on: date
    ends_on: date | None = None
    layer: int = Field(default=1, ge=1, le=9)


class RotationOut(RotationIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    timezone: str


class OverrideIn(Input):
    role: Annotated[str, Line(20)]
    person_id: Id
    start: datetime
    end: datetime
    replaces_id: Id | None = None
    reason: Annotated[str, Line(200)] = ""


class OverrideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: str
    person_id: int
    replaces_id: int | None
    start_at: datetime
    end_at: datetime
    reason: str
    swap_id: int | None


class SwapIn(Input):
    role: Annotated[str, Line(20)]
    person_id: Id
    shift_at: datetime
    other_id: Id
    other_shift_at: datetime
    reason: Annotated[str, Line(200)] = ""


class SegmentOut(BaseModel):
    role: str
    start: datetime
    end: datetime
    people: list[int]
    names: list[str]


class DutyOut(BaseModel):
    role: str
    now: SegmentOut
    next: SegmentOut | None


class CalendarLink(BaseModel):
    person_id: int
    url: str
    """Shown once: the token in it is stored only as a hash."""


class PageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    level: str
    chain: int
    round: int
    step: int
    role: str
    person_id: int | None
    channel: str
    notification_id: int | None
    paged_at: datetime
    due_at: datetime
    state: str
    answered_at: datetime | None
    answered_by: str | None


class WindowIn(Input):
    scope: Annotated[str, Line(64, min_length=1)]
    kind: Annotated[str, Line(40)] | None = None
    start: datetime
    end: datetime
    reason: Annotated[str, Line(200, min_length=1)]


class WindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    scope: str
    kind: str | None
    start_at: datetime
    end_at: datetime
    reason: str
    created_by: str


class FeedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    last_seen_at: datetime
    alerted_at: datetime | None
    incident_id: int | None
