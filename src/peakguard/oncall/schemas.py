"""On-call API shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class RotationIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    role: str = Field(max_length=20)
    shifts: list[str] = Field(min_length=1, max_length=24, examples=[["08:00", "20:00"]])
    members: list[int] = Field(min_length=1, max_length=50)
    starts_on: date
    ends_on: date | None = None
    layer: int = 1


class RotationOut(RotationIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    timezone: str


class OverrideIn(BaseModel):
    role: str = Field(max_length=20)
    person_id: int
    start: datetime
    end: datetime
    replaces_id: int | None = None
    reason: str = Field(default="", max_length=200)


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


class SwapIn(BaseModel):
    role: str = Field(max_length=20)
    person_id: int
    shift_at: datetime
    other_id: int
    other_shift_at: datetime
    reason: str = Field(default="", max_length=200)


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
