"""API answers of the monitor: what a batch of events did, and each rejected event with its reason."""

from __future__ import annotations

from pydantic import BaseModel


class RejectedOut(BaseModel):
    line: int
    reason: str


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[RejectedOut]
