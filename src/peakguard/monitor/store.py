"""A validated batch into the monitor tables by the database's bulk path (issue 14, S3.3).

Two set-based statements inside the caller's transaction, whatever the batch's size:

1. the events are inserted into ``monitor_events`` with ``ON CONFLICT (event_id) DO NOTHING``
   (PostgreSQL: one ``INSERT .. SELECT FROM unnest(..)`` of the columns as arrays; SQLite: one
   ``executemany``), which says which of them were new. When all were (the usual case: a
   feed's new events) nothing more is asked; when only some were (a replay overlapping new
   events) the new ones are the ids the insert returned (PostgreSQL ``RETURNING``, so two
   concurrent batches with a shared event cannot both count it) or, on SQLite, whose writers
   are serialised by ``BEGIN IMMEDIATE``, the rows above the highest id before the insert;
2. ``parcel_state`` gets each parcel's latest new scan (picked in Python: the newer scan wins,
   among equal times the later row, as the checkpoint folds them) by one ``INSERT .. ON
   CONFLICT DO UPDATE .. WHERE excluded.ts >= parcel_state.ts``;

and orders, a minority, are folded per order in Python and upserted in one executemany; and
``site_heard`` gets each site's newest new scan where it moves the site on by
:data:`HEARD_STEP` (for the feed heartbeat), appended: no row every batch would lock.

Only new events touch the state, so a replayed file, batch or bus message changes nothing:
idempotent by ``event_id`` in the same transaction as the state it produced. Rows go in the
batch's order, so ids follow arrival order (the live detector folds by id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, or_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from peakguard.monitor.bulk import Batch, Record, scan_row
from peakguard.monitor.events import OrderEvent
from peakguard.monitor.models import OrderState

_EVENTS = "monitor_events (event_id, type, ts, received_at, subject, scope, status, payload)"
_SEP, _NULL = "\x1f", "\x1e"
"""PostgreSQL gets each column as one text, its values joined by ``_SEP`` (``None`` written as
``_NULL``), and splits it itself (``string_to_array``): psycopg dumps a list parameter element
by element in Python, about 2.5 µs each, which cost more than the database's own work. The two
control characters cannot be in any value: validation refuses them in every id, label and
literal, and JSON text escapes them."""


def _split(param: str, kind: str = "text") -> str:
    return f"string_to_array(%({param})s, E'\\x1f', E'\\x1e')::{kind}[]"


_INSERT_EVENTS = {
    "postgresql": f"""INSERT INTO {_EVENTS}
        SELECT event_id, type, ts, %(now)s, subject, scope, status, payload::json
        FROM unnest({_split("event_id")}, {_split("type")}, {_split("ts", "timestamptz")},
                    {_split("subject")}, {_split("scope")}, {_split("status")}, {_split("payload")})
             AS batch (event_id, type, ts, subject, scope, status, payload)
        ON CONFLICT (event_id) DO NOTHING RETURNING event_id""",
    "sqlite": f"""INSERT INTO {_EVENTS} VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (event_id) DO NOTHING""",
}
_NEWER_SCAN = """ON CONFLICT (parcel_id) DO UPDATE SET
        ts = excluded.ts, status = excluded.status, area = excluded.area,
        site = excluded.site, exception = excluded.exception
    WHERE excluded.ts >= parcel_state.ts"""
_UPSERT_SCANS = {
    "postgresql": f"""INSERT INTO parcel_state (parcel_id, ts, status, area, site, exception)
        SELECT * FROM unnest({_split("parcel_id")}, {_split("ts", "timestamptz")}, {_split("status")},
                             {_split("area")}, {_split("site")}, {_split("exception")})
        {_NEWER_SCAN}""",
    "sqlite": f"""INSERT INTO parcel_state (parcel_id, ts, status, area, site, exception)
        VALUES (?, ?, ?, ?, ?, ?) {_NEWER_SCAN}""",
}

HEARD_STEP = timedelta(seconds=10)
"""A site's scan time is appended to ``site_heard`` when it is this far past every time stored
for the site: the heartbeat (silence counted in minutes) sees each site to within 10 s, and
a feed adds at most a row per site every 10 s whatever its rate."""
_HEARD_SITES = {
    "postgresql": f"""INSERT INTO site_heard (site, ts)
        SELECT b.site, b.ts FROM unnest({_split("site")}, {_split("ts", "timestamptz")},
                                        {_split("since", "timestamptz")}) AS b (site, ts, since)
        WHERE NOT EXISTS (SELECT 1 FROM site_heard h WHERE h.site = b.site AND h.ts > b.since)""",
    "sqlite": """INSERT INTO site_heard (site, ts) SELECT ?1, ?2
        WHERE NOT EXISTS (SELECT 1 FROM site_heard WHERE site = ?1 AND ts > ?3)""",
}


def _columns(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """Rows as one joined text per column (see ``_SEP``): times in ISO 8601 with their offset,
    numbers and booleans as PostgreSQL reads them from text."""
    out = {}
    for name, values in zip(names, zip(*rows, strict=True), strict=True):
        try:
            text = _SEP.join(values)  # a column of text only, the usual case
        except TypeError:
            text = _SEP.join(
                [
                    v if type(v) is str
                    else _NULL if v is None
                    else _pg_time(v) if type(v) is datetime
                    else str(v)
                    for v in values
                ]
            )  # fmt: skip
        if text.count(_SEP) != len(values) - 1:
            raise ValueError(f"a {name} holds the column separator")  # validation refuses it: a bug
        out[name] = text
    return out


def store(
    session: Session, now: datetime, batch: Batch, scans_wanted: bool = False
) -> tuple[int, list[Record]]:
    """Write the batch's new events and their state; return how many were new and, when asked,
    each parcel's latest new scan (what ``parcel_state`` was given: for a caller keeping its own
    checkpoint, which folding these reaches the same state as folding every new scan, by the
    same newer-wins rule, with less to fold when a parcel is scanned twice in a batch)."""
    if not batch.records:
        return 0, []
    dialect = session.get_bind().dialect.name
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    insert = _insert_postgresql if dialect == "postgresql" else _insert_sqlite
    new = insert(dbapi, now, batch.records)
    if not new:
        return 0, []
    latest = latest_scans(new)
    _upsert_scans(dialect, dbapi, latest)
    if batch.orders:
        _update_orders(session, [batch.orders[r[1]] for r in new if r[2] == "order"])
    _append_sites(dialect, dbapi, site_times(new))
    return len(new), latest if scans_wanted else []


def latest_scans(records: Iterable[Record]) -> list[Record]:
    """Each parcel's latest scan among ``records`` (in arrival order): the newer time wins, among
    equal times the later row, as the checkpoint and the stored state decide. They come out in
    parcel order, so that concurrent batches lock the rows they share in the same order (in
    arrival order, two HTTP batches deadlocked on PostgreSQL)."""
    latest: dict[str, Record] = {}
    for record in records:
        if record[2] == "scan":
            held = latest.get(record[4])
            if held is None or record[3] >= held[3]:
                latest[record[4]] = record
    return [latest[parcel] for parcel in sorted(latest)]


def site_times(records: Iterable[Record]) -> list[tuple[str, datetime]]:
    """Each site's newest scan among ``records``, in site order."""
    newest: dict[str, datetime] = {}
    for record in records:
        site = record[7]
        if site is None:
            continue  # not a scan
        held = newest.get(site)
        if held is None or held < record[3]:
            newest[site] = record[3]
    return sorted(newest.items())


def _insert_postgresql(dbapi: Any, now: datetime, records: list[Record]) -> list[Record]:
    """Insert; the records that were new. A live feed's batch is all new, so it is tried first
    as one ``COPY`` (the database's fastest path, about three times the ``INSERT .. ON
    CONFLICT``'s rate) inside a savepoint; an ``event_id`` already stored (a replay, a bus
    redelivery, a concurrent batch sharing an event) refuses it as a whole, and the batch goes
    by :func:`_insert_new_postgresql` instead, which skips the stored ones."""
    from psycopg.errors import UniqueViolation  # loaded already: the session is on PostgreSQL

    received = now.isoformat()
    with dbapi.cursor() as cursor:
        # A savepoint by hand: psycopg's transaction() on a connection whose transaction has run
        # no statement yet takes itself for the outer one and commits the COPY on its own.
        cursor.execute("SAVEPOINT events_copy")
        try:
            with cursor.copy(_COPY_EVENTS) as copy:
                # sent a slice at a time, so the server stores one while the next is written
                for start in range(0, len(records), _COPY_SLICE):
                    lines = []
                    for r in records[start : start + _COPY_SLICE]:
                        lines.append(
                            f"{_copy_text(r[1])}\t{r[2]}\t{_pg_time(r[3])}\t{received}\t{_copy_text(r[4])}\t"
                            f"{_copy_text(r[5])}\t{_COPY_NULL if r[6] is None else r[6]}\t{_copy_text(r[9])}\n"
                        )
                    copy.write("".join(lines))
        except UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT events_copy")
            return _insert_new_postgresql(dbapi, now, records)
        cursor.execute("RELEASE SAVEPOINT events_copy")
    return records


_COPY_SLICE = 2000
_COPY_EVENTS = f"COPY {_EVENTS} FROM STDIN"
_COPY_NULL = "\\N"


def _copy_text(value: str) -> str:
    """A value in ``COPY``'s text format: only the backslash needs escaping, since validation
    refuses control characters (tab, newline) in every field and JSON text escapes them."""
    return value.replace("\\", "\\\\") if "\\" in value else value


def _insert_new_postgresql(dbapi: Any, now: datetime, records: list[Record]) -> list[Record]:
    """Insert those not stored yet; the records that were new (those whose ids came back)."""
    names = ("event_id", "type", "ts", "subject", "scope", "status", "payload")
    columns = _columns(names, ((r[1], r[2], r[3], r[4], r[5], r[6], r[9]) for r in records))
    with dbapi.cursor() as cursor:
        cursor.execute(_INSERT_EVENTS["postgresql"], {"now": now, **columns})
        if cursor.rowcount == len(records):
            return records
        fresh = {row[0] for row in cursor.fetchall()}
    return [r for r in records if r[1] in fresh]


def _insert_sqlite(dbapi: Any, now: datetime, records: list[Record]) -> list[Record]:
    """Insert; the records that were new (all of them, or those stored above the highest id
    before the insert: the writers are serialised, so no other batch's rows are among them)."""
    cursor = dbapi.cursor()
    (before,) = cursor.execute("SELECT coalesce(max(id), 0) FROM monitor_events").fetchone()
    received = _sqlite_time(now)
    cursor.executemany(
        _INSERT_EVENTS["sqlite"],
        [(r[1], r[2], _sqlite_time(r[3]), received, r[4], r[5], r[6], r[9]) for r in records],
    )
    if cursor.rowcount == len(records):
        return records
    if cursor.rowcount == 0:
        return []
    fresh = {row[0] for row in cursor.execute("SELECT event_id FROM monitor_events WHERE id > ?", (before,))}
    return [r for r in records if r[1] in fresh]


def _upsert_scans(dialect: str, dbapi: Any, scans: Sequence[Record]) -> None:
    if not scans:
        return
    if dialect == "postgresql":
        columns = _columns(("parcel_id", "ts", "status", "area", "site", "exception"), map(scan_row, scans))
        with dbapi.cursor() as cursor:
            cursor.execute(_UPSERT_SCANS[dialect], columns)
        return
    dbapi.cursor().executemany(
        _UPSERT_SCANS[dialect], [(s[4], _sqlite_time(s[3]), s[6], s[5], s[7], s[8]) for s in scans]
    )


def _append_sites(dialect: str, dbapi: Any, sites: list[tuple[str, datetime]]) -> None:
    if not sites:
        return
    if dialect == "postgresql":
        rows = [(site, ts, ts - HEARD_STEP) for site, ts in sites]
        with dbapi.cursor() as cursor:
            cursor.execute(_HEARD_SITES[dialect], _columns(("site", "ts", "since"), rows))
        return
    dbapi.cursor().executemany(
        _HEARD_SITES[dialect], [(site, _sqlite_time(ts), _sqlite_time(ts - HEARD_STEP)) for site, ts in sites]
    )


@lru_cache(maxsize=1 << 16)
def _pg_time(ts: datetime) -> str:
    """A time as PostgreSQL reads it from text (ISO 8601 with its offset); cached, since a feed
    repeats each second many times."""
    return ts.isoformat()


@lru_cache(maxsize=1 << 16)
def _sqlite_time(ts: datetime) -> str:
    """UTC as SQLAlchemy stores a DateTime on SQLite, so stored times compare as text."""
    return ts.replace(tzinfo=None).isoformat(" ", "microseconds")


def _update_orders(session: Session, orders: list[OrderEvent]) -> None:
    """Each order's state from its new events (in arrival order), as folding them one by one
    gives: the first to arrive makes the row with its shop, amount and time; the creation time
    is then the earliest ``created``; the status is the newest event's (a later one wins a tie)
    unless the stored one is newer; a coupon error once seen stays.

    The first by time used to make the row, which made an order's creation time depend on which
    of its events shared a batch (a file loaded in batches of 200 or in two shares stored
    another time than in batches of 50)."""
    if not orders:
        return
    folded: dict[str, dict[str, Any]] = {}
    for event in orders:
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
    if session.get_bind().dialect.name == "postgresql":
        _write_orders_postgresql(session, [folded[order] for order in sorted(folded)])  # lock order
        return
    table = cast(Table, OrderState.__table__)
    insert: Any = sqlite_insert(table)
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


_ORDER_COLUMNS = ("order_id", "shop", "created_at", "ts", "status", "amount", "coupon_error")
_UPSERT_ORDERS = f"""INSERT INTO order_state ({", ".join(_ORDER_COLUMNS)})
    SELECT * FROM unnest({_split("order_id")}, {_split("shop")}, {_split("created_at", "timestamptz")},
                         {_split("ts", "timestamptz")}, {_split("status")}, {_split("amount", "numeric")},
                         {_split("coupon_error", "boolean")})
    ON CONFLICT (order_id) DO UPDATE SET
        ts = CASE WHEN excluded.ts >= order_state.ts THEN excluded.ts ELSE order_state.ts END,
        status = CASE WHEN excluded.ts >= order_state.ts THEN excluded.status ELSE order_state.status END,
        coupon_error = order_state.coupon_error OR excluded.coupon_error"""
_EARLIER_CREATED = f"""UPDATE order_state SET created_at = earlier.created
    FROM unnest({_split("order_id")}, {_split("created", "timestamptz")}) AS earlier (order_id, created)
    WHERE order_state.order_id = earlier.order_id AND order_state.created_at > earlier.created"""


def _write_orders_postgresql(session: Session, folded: list[dict[str, Any]]) -> None:
    """The same two statements as the SQLite path's, each once for the batch (as joined
    columns, see ``_SEP``) rather than once per order."""
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    with dbapi.cursor() as cursor:
        cursor.execute(
            _UPSERT_ORDERS, _columns(_ORDER_COLUMNS, ([r[c] for c in _ORDER_COLUMNS] for r in folded))
        )
        earlier = [(r["order_id"], r["created_min"]) for r in folded if r["created_min"] is not None]
        if earlier:
            cursor.execute(_EARLIER_CREATED, _columns(("order_id", "created"), earlier))
