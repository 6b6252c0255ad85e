"""Events validated as a batch into columns, ready for the database's bulk path (issue 14, S3.3).

The rules are the ones in :mod:`peakguard.monitor.events`, and the pydantic models there stay
the authority: a scan in the usual shape (a JSON object or a dict with RFC 3339 time, the
fields a scan has, printable text within the lengths) is checked by a compiled msgspec decoder
that accepts a subset of what the models accept, about ten times faster, a few hundred lines
at a time (:func:`_decode_chunk`); anything it does not accept (another event type, an unusual
time format, a bad row) goes through the models, which accept it or say why not in the same
words as before. So the fast path changes speed, never a
verdict or a reason.

A batch comes out as :class:`Batch`: one :data:`Record` per accepted event (the columns the
store writes), the rejected rows, the orders (their state needs more than the columns), and
the count of rows that repeated an ``event_id`` seen earlier in the same batch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from pydantic import ValidationError

from peakguard.monitor.events import (
    CONTROL,
    ExceptionKind,
    OrderEvent,
    Rejected,
    ScanEvent,
    ScanStatus,
    ShopMetricsEvent,
    clean_row,
    decode_json,
    parse_row,
    raw_text,
    reason_of,
)

_RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$"
"""The time shape both the fast path and the models read the same way (``fromisoformat``
and pydantic agree on it; more than six fraction digits they round differently, so those go to
the models)."""


class ScanIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A scan in the usual shape; printable text is checked once per scan by :func:`_fast`."""

    event_id: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    ts: Annotated[str, msgspec.Meta(pattern=_RFC3339)]
    type: Literal["scan"]
    parcel_id: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    status: ScanStatus
    area: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    site: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    exception: ExceptionKind | None = None


_SCAN_JSON = msgspec.json.Decoder(ScanIn)
_SCANS_JSON = msgspec.json.Decoder(list[ScanIn])
_SCAN_TYPE = b'"scan"'
"""A line without it is no scan: straight to the models (orders, shop metrics, bad rows)."""
_ENCODE = msgspec.json.Encoder()

Record = tuple[int, str, str, datetime, str, str, str | None, str | None, str | None, str]
"""(line, event_id, type, ts in UTC, subject, scope, status, site, exception, payload JSON):
subject is the parcel, order or shop; scope the area for scans, the shop otherwise; site and
exception are a scan's."""


def scan_row(record: Record) -> tuple[str, datetime, str | None, str, str | None, str | None]:
    """A scan record in the checkpoint's column order (parcel, ts, status, area, site, exception)."""
    return record[4], record[3], record[6], record[5], record[7], record[8]


@dataclass
class Batch:
    records: list[Record] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    orders: dict[str, OrderEvent] = field(default_factory=dict)
    """The accepted orders by event_id: their state keeps the amount, flags and creation time."""
    repeated: int = 0
    """Rows whose event_id came earlier in the same batch (the first one counts)."""


def validate(rows: Iterable[tuple[int, Any]]) -> Batch:
    """Each (line, row) as a record or a rejection. A row is raw JSON text (``bytes``, one line
    of a file or one bus message), an already-decoded JSON value, or a :class:`Rejected`."""
    rows = rows if isinstance(rows, list) else list(rows)
    items: list[Any] = [None] * len(rows)
    chunk: list[int] = []  # positions of rows that look like scans, decoded together
    stamps: dict[str, datetime] = {}
    for at, (line, row) in enumerate(rows):
        if type(row) is bytes and _SCAN_TYPE in row and row.rstrip().endswith(b"}"):
            chunk.append(at)
            if len(chunk) == SCAN_CHUNK:
                _decode_chunk(rows, chunk, items, stamps)
                chunk = []
        else:
            items[at] = _one(line, row)
    _decode_chunk(rows, chunk, items, stamps)
    batch = Batch()
    seen: set[str] = set()
    for (line, _), item in zip(rows, items, strict=True):
        if isinstance(item, Rejected):
            batch.rejected.append(item)
            continue
        if isinstance(item, OrderEvent) and item.event_id not in seen:
            batch.orders[item.event_id] = item
        record = item if isinstance(item, tuple) else _record(line, item)
        if record[1] in seen:
            batch.repeated += 1
            continue
        seen.add(record[1])
        batch.records.append(record)
    return batch


SCAN_CHUNK = 500
"""Scans decoded in one call: enough to pay off, few to decode again one by one when one of
them is not a good scan."""
_ESCAPE_OR_DEL = re.compile(rb"[\\\x7f]")
"""In JSON text a control character inside a string is either escaped or (DEL) raw; the others
raw are refused by the decoder. A chunk without either holds none in any field."""


def _decode_chunk(
    rows: list[tuple[int, Any]], chunk: list[int], items: list[Any], stamps: dict[str, datetime]
) -> None:
    """The scan-looking rows at ``chunk`` as records, decoded as one JSON array; if any of them
    is not a good scan, each row goes its own way (:func:`_one`), for its own verdict and reason.

    The lines are joined by a newline and a comma. A raw newline cannot be inside a string, and
    every line ends with ``}``, so two lines could only become one element if that ``}`` closed
    an object nested inside a scan, which has none (the decoder refuses it); and a line holding
    two elements shows as one element too many. So when the count matches, element *i* is line
    *i*, decoded exactly as alone."""
    if not chunk:
        return
    data = b"\n,".join(rows[at][1] for at in chunk)
    try:
        scans = _SCANS_JSON.decode(b"[" + data + b"]")
        check = _ESCAPE_OR_DEL.search(data) is not None
        # strict: one element too many (a line of two) raises ValueError, and all go one by one
        records = [_fast(rows[at][0], scan, stamps, check) for at, scan in zip(chunk, scans, strict=True)]
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError, OverflowError):
        for at in chunk:
            items[at] = _one(*rows[at])
        return
    for at, record in zip(chunk, records, strict=True):
        items[at] = record


def _one(line: int, row: Any) -> Record | ScanEvent | OrderEvent | ShopMetricsEvent | Rejected:
    if isinstance(row, Rejected):
        return row
    if isinstance(row, bytes):
        try:
            if _SCAN_TYPE in row:
                return _fast(line, _SCAN_JSON.decode(row))
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError, OverflowError):
            pass
        row = decode_json(line, row)
        if isinstance(row, Rejected):
            return row
    if not isinstance(row, dict):
        return Rejected(line, raw_text(row), "not a JSON object")
    cleaned = clean_row(row)
    if cleaned.get("type") == "scan":
        try:
            return _fast(line, msgspec.convert(cleaned, ScanIn))
        except (msgspec.ValidationError, ValueError, OverflowError):
            pass
    try:
        return parse_row(cleaned, cleaned=True)
    except ValidationError as exc:
        return Rejected(line, raw_text(row), reason_of(exc))


def _fast(line: int, scan: ScanIn, stamps: dict[str, datetime] | None = None, check: bool = True) -> Record:
    """A scan the decoder accepted as a record; a time the models would refuse (a date that
    does not exist, outside the UTC range) raises so that the models give the reason. ``stamps``
    keeps the times already read in this batch (a feed repeats each second many times);
    ``check`` False when the caller knows no field holds a control character."""
    if check and CONTROL.search(f"{scan.event_id}{scan.parcel_id}{scan.area}{scan.site}"):
        raise ValueError("control characters: the models say which field")
    ts = stamps.get(scan.ts) if stamps is not None else None
    if ts is None:
        ts = datetime.fromisoformat(scan.ts).astimezone(UTC)
        if stamps is not None:
            stamps[scan.ts] = ts
    return (
        line,
        scan.event_id,
        "scan",
        ts,
        scan.parcel_id,
        scan.area,
        scan.status,
        scan.site,
        scan.exception,
        _ENCODE.encode(scan).decode(),
    )


def _record(line: int, event: ScanEvent | OrderEvent | ShopMetricsEvent) -> Record:
    payload = json.dumps(event.model_dump(mode="json"), ensure_ascii=False)
    ts = event.ts.astimezone(UTC)
    if isinstance(event, ScanEvent):
        return (line, event.event_id, "scan", ts, event.parcel_id, event.area, event.status, event.site,
                event.exception, payload)  # fmt: skip
    if isinstance(event, OrderEvent):
        return (
            line,
            event.event_id,
            "order",
            ts,
            event.order_id,
            event.shop,
            event.status,
            None,
            None,
            payload,
        )
    return (line, event.event_id, "shop_metrics", ts, event.shop, event.shop, None, None, None, payload)
