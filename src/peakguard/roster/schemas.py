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
    dingtalk_id: str | None = None
    wecom_id: str | None = None
    feishu_id: str | None = None
    quiet_hours: str | None = None
    timezone: str | None = None


class ContactIn(Input):
    """Chat user ids, quiet hours and time zone (issue 17): a field left out is kept, "" clears it."""

    dingtalk_id: Annotated[str, Line(64)] | None = None
    wecom_id: Annotated[str, Line(64)] | None = None
    feishu_id: Annotated[str, Line(64)] | None = None
    quiet_hours: Annotated[str, Line(11)] | None = None
    timezone: Annotated[str, Line(64)] | None = None


class DutyIn(Input):
    on_duty: bool
