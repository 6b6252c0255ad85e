"""Auth API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from peakguard.limits import Id, Input, Line, Text


class UserIn(Input):
    username: Annotated[str, Line(80)]
    password: Annotated[str, Field(min_length=8), Text(200)]
    role: Annotated[str, Line(20)]
    display_name: Annotated[str, Line(120)] = ""
    language: Annotated[str, Line(10)] = "zh_CN"
    client_id: Id | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    language: str
    client_id: int | None
    active: bool
    created_at: datetime


class TokenRequest(Input):
    username: Annotated[str, Line(80)]
    password: Annotated[str, Text(200)]
    name: Annotated[str, Line(80)] = "api"


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
