"""Tables of the overflow warehouse (S2.1-S2.11). Every row a client may see carries its
``client_id``, so every query can be scoped by it. Stock lives in an append-only ledger
(:class:`StockMove`); :class:`StockBalance` is its running sum per SKU and place, kept in the same
transaction as each move, and it is the row that conditional updates lock (never negative)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime

MONEY = Numeric(14, 2)
RATE = Numeric(14, 4)


class Client(Base):
    """A shop renting space (S2.1); ``storage`` says whether it wants its own bay (S2.7)."""

    __tablename__ = "wh_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    storage: Mapped[str] = mapped_column(String(12), default="shared")
    """dedicated or shared."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Bay(Base):
    __tablename__ = "wh_bays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    kind: Mapped[str] = mapped_column(String(12))
    """dedicated (one client, one lock) or shared."""
    client_id: Mapped[int | None] = mapped_column(ForeignKey("wh_clients.id"), nullable=True)


class Location(Base):
    __tablename__ = "wh_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bay_id: Mapped[int] = mapped_column(ForeignKey("wh_bays.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    rack: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))


class BayGrant(Base):
    """Who may open a bay (S2.3): a client's users, besides operators."""

    __tablename__ = "wh_bay_grants"
    __table_args__ = (UniqueConstraint("bay_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bay_id: Mapped[int] = mapped_column(ForeignKey("wh_bays.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BayAccess(Base):
    """The access log: who opened which bay when (S2.3)."""

    __tablename__ = "wh_bay_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bay_id: Mapped[int] = mapped_column(ForeignKey("wh_bays.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    client_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Lease(Base):
    """N square metres from ``start`` to ``end`` (inclusive; open-ended when None) at a daily rate
    per square metre (S2.1). A change ends this lease the day before and starts a new one."""

    __tablename__ = "wh_leases"
    __table_args__ = (CheckConstraint("area_m2 >= 1", name="area_min"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    daily_rate: Mapped[Decimal] = mapped_column(RATE)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date, nullable=True)
    replaces_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Price(Base):
    """The price list of handling fees: inbound_line, outbound_order, label."""

    __tablename__ = "wh_prices"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)


class Fee(Base):
    """One billable handling event, priced when it happens."""

    __tablename__ = "wh_fees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    code: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    ref: Mapped[str] = mapped_column(String(80))


class Invoice(Base):
    __tablename__ = "wh_invoices"
    __table_args__ = (UniqueConstraint("client_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    total: Mapped[Decimal] = mapped_column(MONEY)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvoiceLine(Base):
    __tablename__ = "wh_invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("wh_invoices.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    unit_price: Mapped[Decimal] = mapped_column(RATE)
    amount: Mapped[Decimal] = mapped_column(MONEY)


class Sku(Base):
    __tablename__ = "wh_skus"
    __table_args__ = (UniqueConstraint("code", "client_id"), UniqueConstraint("barcode", "client_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    barcode: Mapped[str] = mapped_column(String(64), index=True)
    barcode_kind: Mapped[str] = mapped_column(String(10))
    """ean13, upca or code128 (generated here, S2.6)."""


class InboundPlan(Base):
    __tablename__ = "wh_inbound_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="planned")
    """planned -> receiving -> received."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundLine(Base):
    __tablename__ = "wh_inbound_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("wh_inbound_plans.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("wh_skus.id"))
    expected: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class Receipt(Base):
    """One scan at the dock: quantity and QC result (S2.5, S2.6). A failed receipt's stock is held."""

    __tablename__ = "wh_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("wh_inbound_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    qc: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))


class Pallet(Base):
    __tablename__ = "wh_pallets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    """License plate number, printed as Code128."""
    location_id: Mapped[int | None] = mapped_column(ForeignKey("wh_locations.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StockMove(Base):
    """The append-only ledger: ``quantity`` of a SKU from one place to another. Places are
    ``dock`` (received, passed QC), ``hold`` (failed QC), ``pallet:<id>``, ``loc:<id>``,
    ``out:<order id>`` (picked), and ``in`` / ``shipped`` at the ends."""

    __tablename__ = "wh_stock_moves"
    __table_args__ = (CheckConstraint("quantity > 0", name="positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("wh_skus.id"), index=True)
    from_place: Mapped[str] = mapped_column(String(40))
    to_place: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(80), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))


class StockBalance(Base):
    """Sum of the ledger per SKU and place, plus what allocation reserved there. The checks make
    the database itself refuse negative stock or over-reservation."""

    __tablename__ = "wh_stock_balances"
    __table_args__ = (
        UniqueConstraint("sku_id", "place"),
        CheckConstraint("on_hand >= 0", name="on_hand_min"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("wh_skus.id"))
    place: Mapped[str] = mapped_column(String(40))
    location_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)


class Order(Base):
    __tablename__ = "wh_orders"
    __table_args__ = (UniqueConstraint("client_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"), index=True)
    ref: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")
    carrier: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    """new -> allocated -> picking -> picked -> packed -> handed_over."""
    wave_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderLine(Base):
    __tablename__ = "wh_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wh_orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("wh_skus.id"))
    quantity: Mapped[int] = mapped_column(Integer)


class Wave(Base):
    __tablename__ = "wh_waves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PickTask(Base):
    """Pick ``quantity`` of a SKU at a location for an order line; made by allocation (which
    reserved the stock), released to pickers by a wave, confirmed by scans (S2.9)."""

    __tablename__ = "wh_pick_tasks"
    __table_args__ = (
        CheckConstraint("picked >= 0 AND picked <= quantity", name="picked_range"),
        Index("ix_wh_pick_tasks_walk", "wave_id", "status", "walk_rank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wh_orders.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("wh_skus.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("wh_locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    picked: Mapped[int] = mapped_column(Integer, default=0)
    wave_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(12), default="allocated")
    """allocated -> open (in a wave) -> done."""
    walk_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The task's place in its wave's walking order (location code, then id), fixed when the
    wave is released, so a picker's next task is one index lookup, not a sort of the whole wave
    on every scan (S2.9)."""


class Package(Base):
    __tablename__ = "wh_packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("wh_orders.id"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("wh_clients.id"))
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    carrier: Mapped[str] = mapped_column(String(16))
    tracking_no: Mapped[str] = mapped_column(String(40), unique=True)
    manifest_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    packed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CarrierCounter(Base):
    """The next tracking number to draw from a carrier's range (S2.11)."""

    __tablename__ = "wh_carrier_counters"

    carrier: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_number: Mapped[int] = mapped_column(BigInteger)


class Manifest(Base):
    """One carrier's hand-off for one day (S2.11)."""

    __tablename__ = "wh_manifests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
