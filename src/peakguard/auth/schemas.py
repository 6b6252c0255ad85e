"""Auth API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from peakguard.auth.passwords import MAX_LENGTH
from peakguard.auth.service import MAX_TOKEN_DAYS
from peakguard.limits import Id, Input, Line, Text


class UserIn(Input):
    """The password policy (length, not the username, not common) is the service's, so the
    API, the page and the CLI give the same reasons."""

    username: Annotated[str, Line(80)]
    password: Annotated[str, Text(MAX_LENGTH)]
    role: Annotated[str, Line(20)]
    display_name: Annotated[str, Line(120)] = ""
    language: Annotated[str, Line(10)] = "zh_CN"
    client_id: Id | None = None


class UserChange(Input):
    """What an admin may change about a user; each given field is applied and audited."""

    role: Annotated[str, Line(20)] | None = None
    client_id: Id | None = None
    active: bool | None = None
    password: Annotated[str, Text(MAX_LENGTH)] | None = None


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
    password: Annotated[str, Text(MAX_LENGTH)]
    name: Annotated[str, Line(80, min_length=1)] = "api"
    days: int | None = Field(None, ge=1, le=MAX_TOKEN_DAYS)
    """How long the token works; unset: ``PEAKGUARD_TOKEN_DAYS`` (30)."""


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: datetime


class TokenInfo(BaseModel):
    """A token as listed: never the token itself (only its hash is stored)."""

    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime
