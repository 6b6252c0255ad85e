"""Monitor tables. ``monitor_events`` keeps every accepted event once (unique ``event_id``:
re-ingesting a file changes nothing). ``parcel_state`` is the detection checkpoint: each
parcel's latest scan, updated as events arrive, so a restarted server detects from where it was
without re-reading history. ``detector_signals`` remembers the count last reported per kind and
scope, so a restart neither loses nor repeats an incident update."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")


_SHOP_EVENTS = "type <> 'scan'"
FILL_FACTOR = 70
"""How full PostgreSQL fills ``parcel_state``'s pages (see :class:`ParcelState`)."""


class MonitorEvent(Base):
    """Every accepted event. Scans, nearly all the rows, carry two indexes only (the id and the
    unique ``event_id``): each index is written for every row, and at a carrier's rate they
    were most of the store's cost (the plain ``COPY`` + upsert ran at 49 k rows/s with the
    former four indexes, 93 k with these, issue 14). The shops' events are read by type and time
    (the hourly chart, the shop window, the heartbeat), so they alone are indexed that way: a
    partial index, which a query uses when it says :data:`SHOP_EVENTS` too."""

    __tablename__ = "monitor_events"
    __table_args__ = (
        Index(
            "ix_monitor_events_shop_type_ts",
            "type",
            "ts",
            sqlite_where=text(_SHOP_EVENTS),
            postgresql_where=text(_SHOP_EVENTS),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(String(80))
    """parcel_id, order_id or shop."""
    scope: Mapped[str] = mapped_column(String(64))
    """area for scans, shop for orders and metrics."""
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


SHOP_EVENTS = MonitorEvent.type != "scan"
"""The partial index's condition, said in a query that reads orders or shop metrics: SQLite
uses a partial index only for a query whose conditions name its own (PostgreSQL infers it
from ``type = 'order'``; SQLite does not)."""


class DeadLetter(Base):
    """A refused row, once: the same row refused again from the same place (a file ingested
    twice, a batch posted twice, a bus message redelivered) is the same dead letter, by source,
    line (or stream sequence) and a digest of the raw text."""

    __tablename__ = "monitor_dead_letters"
    __table_args__ = (UniqueConstraint("source", "line", "digest"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(String(200))
    line: Mapped[int] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(32))
    """First 128 bits of the SHA-256 of ``raw``, in hex."""


class ParcelState(Base):
    """Each parcel's latest scan, with its key as its only index: the checkpoint reads every
    row, and every other index is written by every upsert. The area's had no reader; the
    time's served only the heartbeat, which reads :class:`SiteHeard` instead (the time index
    cost 40% of the upsert on SQLite, and the upsert is the store's largest part).

    On PostgreSQL its pages are filled to 70% only, so that a parcel's next scan, which
    changes no indexed column, is written on the same page (a HOT update: the key's index is
    not written again, and the old version is pruned in place): file ingest 5-10% faster at
    746,202 events, for a table about 1.4 times as large."""

    __tablename__ = "parcel_state"
    __table_args__ = {"postgresql_with": {"fillfactor": FILL_FACTOR}}

    parcel_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    area: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(64))
    exception: Mapped[str | None] = mapped_column(String(20), nullable=True)


class SiteHeard(Base):
    """When a scanning site was heard, for the feed heartbeat (issue 17): the store appends a
    site's newest new scan when it is at least :data:`~peakguard.monitor.store.HEARD_STEP`
    past every time stored for the site, and the heartbeat keeps only each site's newest.

    Appended, never updated, because every batch has scans of the same sites: a row per site
    moved forward in place was a row every writer locked until its commit, so one slow or
    idle transaction held up every other writer (a test's blocked ingest showed it)."""

    __tablename__ = "site_heard"
    __table_args__ = (Index("ix_site_heard_site_ts", "site", "ts"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderState(Base):
    """Each order's latest status, for the unpaid chase list (S1.8) and coupon failures (S1.5)."""

    __tablename__ = "order_state"

    order_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    shop: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    coupon_error: Mapped[bool] = mapped_column(Boolean, default=False)


class DetectorSignal(Base):
    __tablename__ = "detector_signals"

    key: Mapped[str] = mapped_column(String(140), primary_key=True)
    """``kind|scope``."""
    count: Mapped[int] = mapped_column(Integer)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class BusPartition(Base):
    """One partition of the bus (issue 14): who consumes it now and how far its state goes.
    ``sequence`` is the highest stream sequence stored, written in the same transaction as the
    events it stored; ``owner`` fences a worker that lost the partition (its writes check it);
    ``counts_version`` grows each time the partition's counts (:class:`PartitionSignal`)
    change, so the reporter re-reads only the partitions that moved."""

    __tablename__ = "bus_partitions"

    stream: Mapped[str] = mapped_column(String(120), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    owner: Mapped[str] = mapped_column(String(120))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counts_version: Mapped[int] = mapped_column(Integer, default=0)


class PartitionSignal(Base):
    """A partition's count per kind and area (or site), with its longest-silent parcels
    (``[[µs since the epoch, id], ...]``, at most the incident's id list): the reporter sums
    the partitions into one signal per kind and area."""

    __tablename__ = "partition_signals"

    stream: Mapped[str] = mapped_column(String(120), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    oldest: Mapped[list[Any]] = mapped_column(JSON)
