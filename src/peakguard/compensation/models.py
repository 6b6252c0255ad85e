"""One row per affected order (unique), money as Decimal."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime


class CompensationEntry(Base):
    __tablename__ = "compensation_register"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(80), unique=True)
    shop: Mapped[str] = mapped_column(String(64), index=True)
    order_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    method: Mapped[str | None] = mapped_column(String(20), nullable=True)
    """cash_back or price_cut (S1.5)."""
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="registered", index=True)
    """registered -> paid."""
    source: Mapped[str] = mapped_column(String(20))
    """detector or manual."""
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
