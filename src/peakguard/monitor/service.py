"""Ingestion and live detection: the only writer of the monitor tables.

Ingest is idempotent by ``event_id`` and keeps the detection checkpoint (``parcel_state``,
``order_state``) current in the same transaction as the events, so what was accepted survives a
restart and detection resumes from it. The live job reports a signal to the incident engine only
when its count differs from the count last reported for that kind and scope (also stored), so a
restart neither loses nor repeats an incident update.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.clock import Clock
from peakguard.db import Database
from peakguard.incidents import followups, reporting
from peakguard.monitor import bulk, file_shares, partitions, shop, store
from peakguard.monitor.bulk import Record
from peakguard.monitor.events import Rejected
from peakguard.monitor.models import (
    SHOP_EVENTS,
    DeadLetter,
    DetectorSignal,
    MonitorEvent,
    OrderState,
)
from peakguard.monitor.parcels import ParcelCheckpoint
from peakguard.monitor.signals import Signal
from peakguard.oncall import duty, noise
from peakguard.plan.schemas import Plan

CHUNK = 900  # ids per IN (...) list, under every database's parameter limit
MAX_IDS_IN_INCIDENT = 100


Origin = Callable[[int], tuple[str, int]]
"""A row's line to the (source, line) its dead letter names."""


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    dead_letters_known: int = 0
    """Rejected rows whose dead letter was already stored (the same row refused before)."""
    scans: list[Record] = field(default_factory=list, repr=False)
    """Each parcel's latest scan among those this call stored (new ones only) when asked, for a
    caller that keeps its own in-memory checkpoint (the bus consumer). Not summed by :meth:`add`."""

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.dead_letters_known += other.dead_letters_known


def ingest(
    session: Session,
    actor: Actor,
    now: datetime,
    rows: Iterable[tuple[int, Any]] | bulk.Batch,
    source: str,
    scans_wanted: bool = False,
    origin: Origin | None = None,
) -> IngestResult:
    """Store each new event once, dead-letter each bad row with its line and reason. Rows are
    validated as a batch and written by the database's bulk path (:mod:`.bulk`, :mod:`.store`);
    a caller that validated them ahead (while the database stored the batch before: see
    :func:`ingest_file`) passes the :class:`~.bulk.Batch`. ``scans_wanted`` also returns each
    parcel's latest new scan, for a caller keeping its own checkpoint. ``origin`` names a
    refused row's place when its line is not the place itself (a bus message of several events:
    the stream sequence and the line within the message)."""
    batch = rows if isinstance(rows, bulk.Batch) else bulk.validate(rows)
    result = IngestResult(rejected=batch.rejected)
    result.accepted, result.scans = store.store(session, now, batch, scans_wanted)
    result.duplicates = batch.repeated + len(batch.records) - result.accepted
    result.dead_letters_known = len(result.rejected) - store_dead_letters(
        session, now, source, result.rejected, origin
    )
    record(
        session,
        actor,
        "events.ingest",
        "events",
        source[:60],
        now,
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=len(result.rejected),
    )
    return result


FILE_BATCH = 50_000
"""Rows per transaction when loading a file: large enough for the bulk path to pay off, small
enough that an interrupted load keeps most of what it had read."""


def ingest_file(
    db: Database,
    actor: Actor,
    path: Path,
    clock: Clock,
    on_batch: Callable[[int], None] | None = None,
    batch_size: int = FILE_BATCH,
    shares: int = 1,
) -> IngestResult:
    """Load an event file batch by batch, each its own transaction (``peakguard ingest``), in
    ``shares`` processes at once, each the events of its own parcels, orders and shops
    (:mod:`.file_shares`). ``on_batch`` hears how many rows each committed batch had."""

    def load(share_db: Database, rows: Iterator[tuple[int, Any]], report: Callable[[int], None] | None) -> IngestResult:
        done = IngestResult()
        for size, batch in _validated_batches(rows, batch_size, share_db.dialect != "sqlite"):
            with share_db.transaction() as session:
                done.add(ingest(session, actor, clock.now(), batch, source=str(path)))
            if report is not None:
                report(size)
        return done

    total = IngestResult()
    for part in file_shares.load_in_shares(db, path, shares, load, on_batch):
        total.add(part)
    total.rejected.sort(key=lambda bad: bad.line)  # the shares' refusals, in file order
    return total


def _validated_batches(
    rows: Iterator[tuple[int, Any]], size: int, ahead: bool
) -> Iterator[tuple[int, bulk.Batch]]:
    """The rows ``size`` at a time, validated: (rows read, batch). With ``ahead`` (a database
    server), the next batch is read and validated in a thread while the caller stores this one:
    the store mostly waits for the server, on its own core, and the reading and validating fit
    in that wait (the simulated day into PostgreSQL: 65-75 k events/s -> 76-84 k). SQLite's
    store is this process's own work, which the thread only slowed (4-5%)."""

    def read() -> tuple[int, bulk.Batch] | None:
        lines = list(islice(rows, size))
        return (len(lines), bulk.validate(lines)) if lines else None

    if not ahead:
        while (got := read()) is not None:
            yield got
        return
    with ThreadPoolExecutor(1, thread_name_prefix="ingest-read-ahead") as reader:
        coming = reader.submit(read)
        while (got := coming.result()) is not None:
            coming = reader.submit(read)
            yield got


_DEAD_LETTER_INSERT = {
    name: insert(DeadLetter).on_conflict_do_nothing().returning(DeadLetter.id)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def store_dead_letters(
    session: Session, now: datetime, source: str, rejected: Sequence[Rejected], origin: Origin | None = None
) -> int:
    """Store each refused row once (issue 13 item 11: a re-ingest used to add them again);
    return how many were new. NUL, which PostgreSQL cannot keep in text, is stored escaped."""
    if not rejected:
        return 0
    rows = []
    for bad in rejected:
        raw = bad.raw.replace("\x00", "\\u0000")
        where, line = (source, bad.line) if origin is None else origin(bad.line)
        rows.append(
            {
                "received_at": now,
                "source": where[:200],
                "line": line,
                "raw": raw,
                "reason": bad.reason.replace("\x00", "\\u0000"),
                "digest": hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32],
            }
        )
    statement = _DEAD_LETTER_INSERT[session.get_bind().dialect.name]
    return len(session.execute(statement, rows).all())


def detect(
    session: Session, now: datetime, plan: Plan, parcels: ParcelCheckpoint | None = None
) -> list[Signal]:
    """Every signal at ``now`` from the parcel checkpoint and the recent shop window. A caller
    that keeps its checkpoint in memory (the bus consumer) passes it; otherwise the parcels not
    yet delivered are read from ``parcel_state``."""
    checkpoint = parcels if parcels is not None else load_checkpoint(session, delivered=False)
    return checkpoint.signals(now, plan) + shop_signals(session, now, plan)


def load_checkpoint(session: Session, delivered: bool = True) -> ParcelCheckpoint:
    """The stored ``parcel_state`` as arrays (one slot per parcel), ready to classify and to
    fold later batches into. A checkpoint that will be kept and updated needs the delivered
    parcels too (a late scan must not beat a newer delivery it does not know about)."""
    return partitions.load_checkpoints(session, 1, [0], delivered)[0]


def report(session: Session, now: datetime, plan: Plan, signals: Sequence[Signal]) -> list[int]:
    """Feed changed signals to the incident engine; return the incident ids touched. The notices,
    pages and client matching are queued (:mod:`peakguard.incidents.followups`): the caller runs
    them after its commit, so the incidents are open without waiting for them (issue 14)."""
    reported = {row.key: row for row in session.scalars(select(DetectorSignal))}  # one query a round
    with duty.remembered(session):
        return _report_signals(session, now, plan, noise.audible(session, now, signals), reported)


def _report_signals(
    session: Session, now: datetime, plan: Plan, signals: Sequence[Signal], reported: dict[str, DetectorSignal]
) -> list[int]:
    from peakguard.compensation import service as compensation

    actor = Actor.system("detector")
    touched = []
    for signal in signals:
        key = f"{signal.kind}|{signal.scope}"
        last = reported.get(key)
        if last is not None and last.count == signal.count:
            continue
        result = reporting.report(
            session,
            actor,
            now,
            kind=signal.kind,
            area=signal.scope,
            count=signal.count,
            mode="replace",
            source="detector",
            plan=plan,
            details={"ids": list(signal.ids[:MAX_IDS_IN_INCIDENT]), "ids_total": signal.count},
            defer=True,
        )
        if last is None:
            session.add(
                DetectorSignal(key=key, count=signal.count, reported_at=now, incident_id=result.incident.id)
            )
        else:
            last.count, last.reported_at, last.incident_id = signal.count, now, result.incident.id
        followups.queue_clients(session, result.incident.id, now, signal.ids)  # issue 17: clients told
        if signal.kind == "coupon_failure":
            compensation.register_affected(
                session,
                actor,
                now,
                list(signal.ids),
                amounts=order_amounts(session, signal.ids),
                incident_id=result.incident.id,
            )
        touched.append(result.incident.id)
    return touched


def order_amounts(session: Session, order_ids: Sequence[str]) -> dict[str, tuple[str, Any]]:
    """Shop and amount of each known order (for the compensation register)."""
    out: dict[str, tuple[str, Any]] = {}
    for chunk in _chunks(list(order_ids)):
        for row in session.scalars(select(OrderState).where(OrderState.order_id.in_(chunk))):
            out[row.order_id] = (row.shop, row.amount)
    return out


# --- internals -------------------------------------------------------------------------------


def shop_signals(session: Session, now: datetime, plan: Plan) -> list[Signal]:
    since = now - timedelta(minutes=plan.detection.window_minutes)
    events = session.scalars(
        select(MonitorEvent).where(
            SHOP_EVENTS,
            MonitorEvent.type.in_(("shop_metrics", "order")),
            MonitorEvent.ts > since,
            MonitorEvent.ts <= now,
        )
    ).all()
    minutes = [
        shop.Minute(
            shop=e.scope,
            ts=e.ts,
            visitors=e.payload["visitors"],
            orders=e.payload["orders"],
            paid_orders=e.payload["paid_orders"],
            platform_errors=e.payload["platform_errors"],
        )
        for e in events
        if e.type == "shop_metrics"
    ]
    orders = [
        shop.OrderRow(
            order_id=e.subject,
            shop=e.scope,
            ts=e.ts,
            status=e.status or "",
            coupon_error=bool(e.payload.get("coupon_error")),
        )
        for e in events
        if e.type == "order"
    ]
    return (
        shop.platform_outage(minutes, plan)
        + shop.coupon_failure(orders, plan)
        + shop.sales_shortfall(minutes, plan)
    )


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]
