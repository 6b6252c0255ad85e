"""API answers of notifications (issue 6): the delivery log, and the channels a person is tried on
for a message and why one is skipped."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from peakguard.limits import Id, Term


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    event: str
    incident_id: Id | None
    role: str
    person_id: Id | None
    language: str
    level: Term | None = None
    subject: str
    body: str
    status: Term
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


class ChannelOut(BaseModel):
    channel: str
    """Scheme and host only: channel URLs carry secrets."""
    use: bool
    why: str
