"""API bodies and answers of the compensation register (S1.5). Amounts travel as Decimal
(strings in JSON), never as floats."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict

from peakguard.limits import Id, Input, Line, Term, decimal


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: str
    shop: Term
    order_amount: Decimal | None
    method: str | None
    amount: Decimal | None
    status: Term
    source: str
    incident_id: Id | None
    registered_at: datetime
    paid_at: datetime | None


class EntryIn(Input):
    order_id: Annotated[str, Line(80, min_length=1)]
    shop: Annotated[str, Line(64, min_length=1)]
    order_amount: Annotated[Decimal, decimal(14, 2)] | None = None


class TermsIn(Input):
    method: Literal["cash_back", "price_cut"]
    amount: Annotated[Decimal, decimal(14, 2)]
