"""API bodies and answers of the warehouse (S2.1-S2.11). Money and areas travel as Decimal
(strings in JSON), never as floats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from peakguard.limits import MAX_LIST, Id, Input, Line, Quantity, Text, decimal
from peakguard.warehouse.picking import TaskView


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ClientIn(Input):
    code: Annotated[str, Line(32)]
    name: Annotated[str, Line(120)]
    storage: Annotated[str, Line(12)] = "shared"


class ClientOut(Out):
    id: int
    code: str
    name: str
    storage: str


class BayIn(Input):
    code: Annotated[str, Line(32)]
    area_m2: Annotated[Decimal, decimal(10, 2)]
    kind: Annotated[str, Line(12)] = "shared"
    client_id: Id | None = None


class BayOut(Out):
    id: int
    code: str
    area_m2: Decimal
    kind: str
    client_id: int | None


class LocationsIn(Input):
    racks: Annotated[list[Annotated[str, Line(16)]], Field(max_length=100)]
    levels: Annotated[list[Annotated[str, Line(16)]], Field(max_length=100)]


class LocationOut(Out):
    id: int
    bay_id: int
    code: str
    rack: str
    level: str


class GrantIn(Input):
    client_id: Id


class AccessOut(Out):
    id: int
    bay_id: int
    actor: str
    client_id: int | None
    at: datetime


class LeaseIn(Input):
    client_id: Id
    area_m2: Annotated[Decimal, decimal(10, 2)]
    daily_rate: Annotated[Decimal, decimal(14, 4)]
    start: date
    end: date | None = None


class LeaseChangeIn(Input):
    day: date
    area_m2: Annotated[Decimal, decimal(10, 2)] | None = None
    daily_rate: Annotated[Decimal, decimal(14, 4)] | None = None


class LeaseEndIn(Input):
    day: date


class LeaseOut(Out):
    id: int
    client_id: int
    area_m2: Decimal
    daily_rate: Decimal
    start: date
    end: date | None
    replaces_id: int | None


class PriceIn(Input):
    amount: Annotated[Decimal, decimal(14, 2)]


class InvoiceIn(Input):
    client_id: Id
    month: Annotated[str, Line(7), Field(description="YYYY-MM")]


class InvoiceLineOut(Out):
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class InvoiceOut(Out):
    id: int
    client_id: int
    month: str
    total: Decimal
    issued_at: datetime
    lines: list[InvoiceLineOut] = []


class SkuIn(Input):
    client_id: Id
    code: Annotated[str, Line(64)]
    name: Annotated[str, Line(200)]
    barcode: Annotated[str, Line(64)] | None = Field(
        None, description="an existing EAN-13 or UPC-A code; omit to get a Code128 one"
    )


class SkuOut(Out):
    id: int
    client_id: int
    code: str
    name: str
    barcode: str
    barcode_kind: str


class LineIn(Input):
    sku: Annotated[str, Line(64)]
    quantity: Quantity


class PlanLineIn(Input):
    sku: Annotated[str, Line(64)]
    expected: Quantity


class InboundIn(Input):
    client_id: Id
    notes: Annotated[str, Text()] = ""
    lines: Annotated[list[PlanLineIn], Field(max_length=MAX_LIST)]


class InboundLineOut(BaseModel):
    sku: str
    barcode: str
    expected: int
    received: int
    failed: int


class InboundOut(Out):
    id: int
    client_id: int
    notes: str
    status: str
    created_at: datetime
    lines: list[InboundLineOut] = []


class ReceiptIn(Input):
    barcode: Annotated[str, Line(64)]
    quantity: Quantity
    qc: Annotated[str, Line(8)] = "pass"
    reason: Annotated[str, Line(200)] = ""


class ReceiptOut(Out):
    id: int
    line_id: int
    quantity: int
    qc: str
    reason: str


class DiscrepancyOut(BaseModel):
    sku: str
    expected: int
    received: int
    failed: int
    difference: int


class PalletIn(Input):
    client_id: Id
    items: Annotated[list[LineIn], Field(max_length=MAX_LIST)]


class PalletOut(Out):
    id: int
    client_id: int
    code: str
    location_id: int | None


class PutawayIn(Input):
    location: Annotated[str, Line(40)]
    override: bool = False
    """A location other than the suggested one (S2.7): a supervisor's explicit override."""


class RelocateIn(Input):
    client_id: Id
    sku: Annotated[str, Line(64)]
    from_location: Annotated[str, Line(40)]
    to_location: Annotated[str, Line(40)]
    quantity: Quantity


class OrderIn(Input):
    client_id: Id
    ref: Annotated[str, Line(64)]
    carrier: Annotated[str, Line(16)]
    notes: Annotated[str, Text()] = ""
    lines: Annotated[list[LineIn], Field(max_length=MAX_LIST)]


class OrderLineOut(BaseModel):
    sku: str
    quantity: int


class OrderOut(Out):
    id: int
    client_id: int
    ref: str
    notes: str
    carrier: str
    status: str
    wave_id: int | None
    created_at: datetime
    lines: list[OrderLineOut] = []
    tracking_no: str | None = None


class WaveIn(Input):
    order_ids: Annotated[list[Id], Field(max_length=MAX_LIST)] | None = None


class WaveOut(BaseModel):
    id: int
    tasks: list[TaskView]


class ScanIn(Input):
    location: Annotated[str, Line(40)]
    barcode: Annotated[str, Line(64)]
    quantity: Quantity = 1


class PackIn(Input):
    weight_kg: Annotated[Decimal, decimal(8, 3)]


class PackageOut(Out):
    id: int
    order_id: int
    weight_kg: Decimal
    carrier: str
    tracking_no: str


class ManifestOut(Out):
    id: int
    carrier: str
    day: date
    created_at: datetime
