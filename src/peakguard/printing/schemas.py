"""API bodies and answers of printing (S1.6): printers, print jobs and each job's attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from peakguard.limits import Id, Input, Line, Term


class PrinterIn(Input):
    queue: Annotated[str, Line(127), Field(description="the CUPS queue name")]
    name: Annotated[str, Line(120)] = ""


class PrinterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    queue: str
    name: str
    enabled: bool
    healthy: bool
    state_message: str
    queued: int
    checked_at: datetime | None
    failed_at: datetime | None


class PrintIn(Input):
    document: Annotated[
        str, Line(20), Field(description="waybill (an order id), sku (a SKU id) or pallet (a pallet id)")
    ]
    id: Id
    reprint: bool = False


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    printer_id: Id
    attempt: int
    cups_job_id: Id | None
    at: datetime
    outcome: str
    reason: str | None


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    created_by: str
    document: str
    title: str
    status: Term
    printer_id: Id | None
    attempt: int
    cups_job_id: Id | None
    printed_at: datetime | None
    last_error: str | None


class JobDetailOut(JobOut):
    attempts: list[AttemptOut]
