"""Stored scans read back in bulk (issue 14, S3.3): ``parcel_state``, which the live detectors'
checkpoints start from, and the scans ``serve``'s live detector folds in each round.

A bus worker taking partitions over (``peakguard monitor --bus``) and the live detector of
``peakguard serve`` each start by reading every stored parcel; the live detector then reads the
events stored since its last round, 50,000 of them a second at a national feed's rate. Through
the ORM a million rows took 9-12 s, nearly all of it in Python per row and value: result rows,
a time-zone-aware ``datetime`` per row (``UTCDateTime``), then microseconds from it and a
dictionary look-up per string. Here the database joins each row into one line (the columns
apart by ``_SEP``, a NULL exception as ``_NULL``: the control characters that
:mod:`peakguard.monitor.store` joins columns with, which validation keeps out of every value),
on PostgreSQL with the time already in integer microseconds; the driver's own cursor hands
over a chunk of lines at a time, and Polars parses the chunk as one CSV text into a frame for
:meth:`~peakguard.monitor.parcels.Names.encode_frame`. One string a row instead of six values:
on PostgreSQL a million six-value rows and their frames took 1.9-2.1 s, as lines 1.2-1.5 s (on
SQLite 1.9-2.0 s and 1.4-1.6 s); ``COPY .. TO STDOUT`` took 2.2-3.2 s for the lines alone,
psycopg handing its rows over one call each.

- PostgreSQL: a server-side cursor (one snapshot, a chunk in memory at a time, as the ORM's
  ``yield_per`` had); the time as ``extract(epoch ..) * 1000000``, exact (``numeric`` since
  PostgreSQL 14).
- SQLite keeps times as the UTC text SQLAlchemy wrote (``2026-11-11 10:00:00.000000``, see
  ``store._sqlite_time``), parsed a chunk at a time by Polars; a text in any other form (none
  is written so) by Python's ``datetime.fromisoformat``, as SQLAlchemy itself reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from peakguard.clock import as_utc
from peakguard.monitor.parcels import SCAN_SCHEMA, to_us
from peakguard.monitor.store import _NULL, _SEP

CHUNK = 100_000
"""Rows per frame: large enough that the per-frame steps cost nothing, small enough that a
chunk's text and strings stay a few tens of MB whatever the table's size."""

_PG_US = "(extract(epoch FROM ts) * 1000000)::bigint"
_PARCELS = {
    "postgresql": ("parcel_id", _PG_US, "status", "area", "site", "exception"),
    "sqlite": ("parcel_id", "ts", "status", "area", "site", "exception"),
}
""":data:`~peakguard.monitor.parcels.SCAN_COLUMNS` from ``parcel_state``."""
_EVENT_SCANS = {
    "postgresql": ("subject", _PG_US, "status", "scope", "payload ->> 'site'", "payload ->> 'exception'"),
    "sqlite": ("subject", "ts", "status", "scope", "json_extract(payload, '$.site')",
               "json_extract(payload, '$.exception')"),
}  # fmt: skip
""":data:`~peakguard.monitor.parcels.SCAN_COLUMNS` from the scans in ``monitor_events``."""


def _lines(dialect: str, columns: tuple[str, ...]) -> str:
    """The columns joined into one text per row; the last (the exception) may be NULL, every
    other is NOT NULL for a scan (``concat_ws`` would skip a NULL and shift the rest)."""
    *fields, exception = columns
    if dialect == "postgresql":
        return f"concat_ws(chr({ord(_SEP)}), {', '.join(fields)}, coalesce({exception}, chr({ord(_NULL)})))"
    return f" || char({ord(_SEP)}) || ".join([*fields, f"coalesce({exception}, char({ord(_NULL)}))"])


_TIME_TYPE = {"postgresql": pl.Int64(), "sqlite": pl.String()}
_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
_SQLITE_LENGTHS = (19, 26)
"""Without and with the six-digit fraction: the forms read by Polars; any other by Python."""


def scan_frames(session: Session, delivered: bool = True) -> Iterator[pl.DataFrame]:
    """The stored parcels (all, or those not delivered) as frames of
    :data:`~peakguard.monitor.parcels.SCAN_SCHEMA`, read in the session's transaction."""
    dialect = session.get_bind().dialect.name
    where = "" if delivered else " WHERE status <> 'delivered'"
    return _frames(session, f"SELECT {_lines(dialect, _PARCELS[dialect])} FROM parcel_state{where}")


def event_scan_frames(session: Session, ids: str) -> Iterator[pl.DataFrame]:
    """The scans in ``monitor_events`` whose ids the SQL condition ``ids`` picks, in id order
    (the order they are folded in: among equal times the later row wins), as frames of
    :data:`~peakguard.monitor.parcels.SCAN_SCHEMA`: what ``serve``'s live detector folds in
    each round (:mod:`peakguard.monitor.live`)."""
    dialect = session.get_bind().dialect.name
    return _frames(
        session,
        f"SELECT {_lines(dialect, _EVENT_SCANS[dialect])} FROM monitor_events "
        f"WHERE type = 'scan' AND ({ids}) ORDER BY id",
    )


def _frames(session: Session, query: str) -> Iterator[pl.DataFrame]:
    dialect = session.get_bind().dialect.name
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    schema = pl.Schema({**SCAN_SCHEMA, "ts": _TIME_TYPE[dialect]})
    # psycopg: a name makes it a server-side cursor; sqlite3's cursor steps through the table
    cursor = dbapi.cursor("scan_lines") if dialect == "postgresql" else dbapi.cursor()
    try:
        cursor.execute(query)
        while rows := cursor.fetchmany(CHUNK):
            text = "\n".join([row[0] for row in rows]).encode("utf-8")
            frame = pl.read_csv(text, has_header=False, schema=schema, separator=_SEP, quote_char=None,
                                null_values=_NULL, empty_string_is_null=False)  # fmt: skip
            stamps = frame["ts"] if dialect == "postgresql" else _sqlite_us(frame["ts"])
            yield frame.with_columns(stamps.cast(SCAN_SCHEMA["ts"]))
    finally:
        cursor.close()


def _sqlite_us(texts: pl.Series) -> pl.Series:
    """Microseconds since the epoch of SQLite's UTC texts, exactly."""
    parsed = texts.str.to_datetime(_SQLITE_FORMAT, time_unit="us", time_zone="UTC", strict=False)
    us = parsed.dt.epoch("us")
    odd = (parsed.is_null() | ~texts.str.len_bytes().is_in(_SQLITE_LENGTHS)).arg_true()
    if not len(odd):
        return us
    exact = [to_us(as_utc(datetime.fromisoformat(text))) for text in texts.gather(odd).to_list()]
    return us.scatter(odd, np.array(exact, dtype=np.int64))
