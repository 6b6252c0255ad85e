"""Roster API shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PersonIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    role: str
    on_duty: bool = True
    language: str = "zh_CN"
    channels: list[str] = []
    priority: int = 100
    user_id: int | None = None


class PersonOut(PersonIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


class DutyIn(BaseModel):
    on_duty: bool
