"""Auth API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class UserIn(BaseModel):
    username: str
    password: str = Field(min_length=8)
    role: str
    display_name: str = ""
    language: str = "zh_CN"
    client_id: int | None = None


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


class TokenRequest(BaseModel):
    username: str
    password: str
    name: str = "api"


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
