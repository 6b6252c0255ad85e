"""API bodies and answers of the warehouse (S2.1-S2.11). Money and areas travel as Decimal
(strings in JSON), never as floats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ClientIn(BaseModel):
    code: str
    name: str
    storage: str = "shared"


class ClientOut(Out):
    id: int
    code: str
    name: str
    storage: str


class BayIn(BaseModel):
    code: str
    area_m2: Decimal
    kind: str = "shared"
    client_id: int | None = None


class BayOut(Out):
    id: int
    code: str
    area_m2: Decimal
    kind: str
    client_id: int | None


class LocationsIn(BaseModel):
    racks: list[str]
    levels: list[str]


class LocationOut(Out):
    id: int
    bay_id: int
    code: str
    rack: str
    level: str


class GrantIn(BaseModel):
    client_id: int


class AccessOut(Out):
    id: int
    bay_id: int
    actor: str
    client_id: int | None
    at: datetime


class LeaseIn(BaseModel):
    client_id: int
    area_m2: Decimal
    daily_rate: Decimal
    start: date
    end: date | None = None


class LeaseChangeIn(BaseModel):
    day: date
    area_m2: Decimal | None = None
    daily_rate: Decimal | None = None


class LeaseEndIn(BaseModel):
    day: date


class LeaseOut(Out):
    id: int
    client_id: int
    area_m2: Decimal
    daily_rate: Decimal
    start: date
    end: date | None
    replaces_id: int | None


class PriceIn(BaseModel):
    amount: Decimal


class InvoiceIn(BaseModel):
    client_id: int
    month: str = Field(description="YYYY-MM")


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


class SkuIn(BaseModel):
    client_id: int
    code: str
    name: str
    barcode: str | None = Field(
        None, description="an existing EAN-13 or UPC-A code; omit to get a Code128 one"
    )


class SkuOut(Out):
    id: int
    client_id: int
    code: str
    name: str
    barcode: str
    barcode_kind: str


class LineIn(BaseModel):
    sku: str
    quantity: int


class PlanLineIn(BaseModel):
    sku: str
    expected: int


class InboundIn(BaseModel):
    client_id: int
    notes: str = ""
    lines: list[PlanLineIn]


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


class ReceiptIn(BaseModel):
    barcode: str
    quantity: int
    qc: str = "pass"
    reason: str = ""


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


class PalletIn(BaseModel):
    client_id: int
    items: list[LineIn]


class PalletOut(Out):
    id: int
    client_id: int
    code: str
    location_id: int | None


class PutawayIn(BaseModel):
    location: str
    override: bool = False
    """A location other than the suggested one (S2.7): a supervisor's explicit override."""


class RelocateIn(BaseModel):
    client_id: int
    sku: str
    from_location: str
    to_location: str
    quantity: int


class StockOut(BaseModel):
    client_id: int
    sku: str
    barcode: str
    place: str
    location: str | None
    on_hand: int
    reserved: int
    available: int
    held: bool


class OrderIn(BaseModel):
    client_id: int
    ref: str
    carrier: str
    notes: str = ""
    lines: list[LineIn]


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


class WaveIn(BaseModel):
    order_ids: list[int] | None = None


class TaskOut(BaseModel):
    id: int
    order_id: int
    location: str
    sku: str
    barcode: str
    quantity: int
    picked: int
    status: str


class WaveOut(BaseModel):
    id: int
    tasks: list[TaskOut]


class ScanIn(BaseModel):
    location: str
    barcode: str
    quantity: int = 1


class ScanOut(BaseModel):
    task: TaskOut
    next_task: TaskOut | None
    order_picked: bool


class PackIn(BaseModel):
    weight_kg: Decimal


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
