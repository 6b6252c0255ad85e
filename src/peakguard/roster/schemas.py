"""Roster API shapes."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from peakguard.limits import MAX_QUANTITY, Id, Input, Line


class PersonIn(Input):
    name: Annotated[str, Line(120, min_length=1)]
    role: Annotated[str, Line(20)]
    on_duty: bool = True
    language: Annotated[str, Line(10)] = "zh_CN"
    channels: Annotated[list[Annotated[str, Line(500)]], Field(max_length=20)] = []
    priority: Annotated[int, Field(ge=0, le=MAX_QUANTITY)] = 100
    user_id: Id | None = None


class PersonOut(PersonIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


class DutyIn(Input):
    on_duty: bool
