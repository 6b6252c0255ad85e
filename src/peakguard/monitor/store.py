"""A validated batch into the monitor tables by the database's bulk path (issue 14, S3.3).

The batch goes into a temporary staging table in one step (PostgreSQL ``COPY``, SQLite
``executemany``), and everything after that is a few set-based statements inside the caller's
transaction:

1. the events not stored yet are inserted into ``monitor_events`` and marked *fresh* in the
   staging table (PostgreSQL: ``INSERT .. ON CONFLICT (event_id) DO NOTHING RETURNING`` in the
   same statement, so two concurrent batches with a shared event cannot both insert it; SQLite
   writers are serialised by ``BEGIN IMMEDIATE``);
2. ``parcel_state`` gets each parcel's latest fresh scan by one ``INSERT .. ON CONFLICT DO
   UPDATE .. WHERE excluded.ts >= parcel_state.ts`` (the newer scan wins; among equal times the
   later row, as the checkpoint folds them);
3. orders, a minority, are folded per order in Python and upserted in one executemany.

Only fresh events touch the state, so a replayed file, batch or bus message changes nothing:
idempotent by ``event_id`` in the same transaction as the state it produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from peakguard.monitor.bulk import Batch, Record
from peakguard.monitor.events import OrderEvent
from peakguard.monitor.models import OrderState

STAGE = "monitor_stage"
_COLUMNS = "seq, event_id, type, ts, subject, scope, status, site, exception, payload"
_STAGE_TABLE = {
    "postgresql": f"""CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
        seq integer, event_id text, type text, ts timestamptz, subject text, scope text,
        status text, site text, exception text, payload text, fresh boolean NOT NULL DEFAULT false
    ) ON COMMIT DELETE ROWS""",
    "sqlite": f"""CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
        seq integer, event_id text, type text, ts text, subject text, scope text,
        status text, site text, exception text, payload text, fresh integer NOT NULL DEFAULT 0
    )""",
}
_MARK_AND_INSERT = {
    "postgresql": [
        f"""WITH new AS (
            INSERT INTO monitor_events (event_id, type, ts, received_at, subject, scope, status, payload)
            SELECT event_id, type, ts, %(now)s, subject, scope, status, payload::json
            FROM {STAGE} ORDER BY seq
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id
        ) UPDATE {STAGE} SET fresh = true FROM new WHERE {STAGE}.event_id = new.event_id"""
    ],
    "sqlite": [
        f"""UPDATE {STAGE} SET fresh = 1 WHERE NOT EXISTS
            (SELECT 1 FROM monitor_events m WHERE m.event_id = {STAGE}.event_id)""",
        f"""INSERT INTO monitor_events (event_id, type, ts, received_at, subject, scope, status, payload)
            SELECT event_id, type, ts, :now, subject, scope, status, payload
            FROM {STAGE} WHERE fresh ORDER BY seq""",
    ],
}
_LATEST_SCANS = f"""
    INSERT INTO parcel_state (parcel_id, ts, status, area, site, exception)
    SELECT subject, ts, status, scope, site, exception FROM (
        SELECT subject, ts, status, scope, site, exception,
               row_number() OVER (PARTITION BY subject ORDER BY ts DESC, seq DESC) AS newest
        FROM {STAGE} WHERE fresh AND type = 'scan'
    ) latest WHERE newest = 1
    ON CONFLICT (parcel_id) DO UPDATE SET
        ts = excluded.ts, status = excluded.status, area = excluded.area,
        site = excluded.site, exception = excluded.exception
    WHERE excluded.ts >= parcel_state.ts"""


def store(
    session: Session, now: datetime, batch: Batch, scans_wanted: bool = False
) -> tuple[int, list[Record]]:
    """Write the batch's new events and their state; return how many were new and, when asked,
    the new scans' records in arrival order (for a caller keeping its own checkpoint)."""
    if not batch.records:
        return 0, []
    dialect = session.get_bind().dialect.name
    connection = session.connection()
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    connection.exec_driver_sql(_STAGE_TABLE[dialect])
    connection.exec_driver_sql(f"DELETE FROM {STAGE}")  # left by an earlier batch of this transaction
    if dialect == "postgresql":
        _copy(dbapi, batch.records)
        (mark,) = _MARK_AND_INSERT[dialect]
        with dbapi.cursor() as cursor:
            cursor.execute(mark, {"now": now})
            fresh = cursor.rowcount
    else:
        _executemany(dbapi, batch.records)
        mark, insert = _MARK_AND_INSERT[dialect]
        cursor = dbapi.cursor()
        fresh = cursor.execute(mark).rowcount
        cursor.execute(insert, {"now": _sqlite_time(now)})
    if fresh == 0:
        return 0, []
    connection.exec_driver_sql(_LATEST_SCANS)
    kinds = [kind for kind, wanted in (("'order'", bool(batch.orders)), ("'scan'", scans_wanted)) if wanted]
    if not kinds:
        return fresh, []
    query = f"SELECT seq FROM {STAGE} WHERE fresh AND type IN ({', '.join(kinds)})"
    lines = {row[0] for row in connection.exec_driver_sql(query)}
    new = [r for r in batch.records if r[0] in lines]
    _update_orders(session, [batch.orders[r[1]] for r in new if r[2] == "order"])
    return fresh, [r for r in new if r[2] == "scan"]


def _copy(dbapi: Any, records: Sequence[Record]) -> None:
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {STAGE} ({_COLUMNS}) FROM STDIN") as copy:
        write = copy.write_row
        for record in records:
            write(record)


def _executemany(dbapi: Any, records: Sequence[Record]) -> None:
    dbapi.cursor().executemany(
        f"INSERT INTO {STAGE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], r[1], r[2], _sqlite_time(r[3]), *r[4:]) for r in records],
    )


@lru_cache(maxsize=1 << 16)
def _sqlite_time(ts: datetime) -> str:
    """UTC as SQLAlchemy stores a DateTime on SQLite, so stored times compare as text."""
    return ts.replace(tzinfo=None).isoformat(" ", "microseconds")


def _update_orders(session: Session, orders: list[OrderEvent]) -> None:
    """Each order's state from its new events, by the rules the per-event code had: the first
    event (by time) makes the row with its shop and amount; the creation time is the earliest
    ``created``; the status is the latest event's unless the stored one is newer; a coupon error
    once seen stays."""
    if not orders:
        return
    folded: dict[str, dict[str, Any]] = {}
    for event in sorted(orders, key=lambda o: o.ts):  # stable: a later row wins a tie
        row = folded.get(event.order_id)
        if row is None:
            row = folded[event.order_id] = {
                "order_id": event.order_id,
                "shop": event.shop,
                "created_at": event.ts,
                "ts": event.ts,
                "status": event.status,
                "amount": event.amount,
                "coupon_error": event.coupon_error,
                "created_min": None,
            }
        if event.status == "created" and (row["created_min"] is None or event.ts < row["created_min"]):
            row["created_min"] = event.ts
        if event.ts >= row["ts"]:
            row["ts"], row["status"] = event.ts, event.status
        row["coupon_error"] = row["coupon_error"] or event.coupon_error
    table = cast(Table, OrderState.__table__)
    insert: Any = {"postgresql": pg_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name](table)
    newer = insert.excluded.ts >= table.c.ts
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.order_id],
            set_={
                "ts": case((newer, insert.excluded.ts), else_=table.c.ts),
                "status": case((newer, insert.excluded.status), else_=table.c.status),
                "coupon_error": or_(table.c.coupon_error, insert.excluded.coupon_error),
            },
        ),
        [{k: v for k, v in row.items() if k != "created_min"} for row in folded.values()],
    )
    earlier = [
        {"o_id": row["order_id"], "o_created": row["created_min"]}
        for row in folded.values()
        if row["created_min"] is not None
    ]
    if earlier:
        created = bindparam("o_created", type_=table.c.created_at.type)
        session.execute(
            update(table)
            .where(table.c.order_id == bindparam("o_id"), table.c.created_at > created)
            .values(created_at=created),
            earlier,
        )
