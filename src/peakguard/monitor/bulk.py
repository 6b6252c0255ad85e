"""Events validated as a batch into columns, ready for the database's bulk path (issue 14, S3.3).

The rules are the ones in :mod:`peakguard.monitor.events`, and the pydantic models there stay
the authority: an event in the usual shape (a JSON object or a dict with RFC 3339 time, the
fields its type has, printable text within the lengths, an order's amount as text, counts and
flags as JSON integers and booleans) is checked by a compiled msgspec decoder that accepts a
subset of what the models accept, about ten times faster, a few hundred lines at a time
(:func:`_decode_chunk`); anything it does not accept (an unusual time or amount format, a bad
row) goes through the models, which accept it or say why not in the same words as before. So
the fast path changes speed, never a verdict or a reason.

A batch comes out as :class:`Batch`: one :data:`Record` per accepted event (the columns the
store writes), the rejected rows, the orders (their state needs more than the columns), and
the count of rows that repeated an ``event_id`` seen earlier in the same batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
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

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)", re.ASCII)
"""The time shape both the fast path and the models read the same way (``fromisoformat``
and pydantic agree on it; more than six fraction digits they round differently, so those go to
the models)."""


_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
_Label = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
_Count = Annotated[int, msgspec.Meta(ge=0)]
_AMOUNT = r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$"
"""An amount as text, at most 14 digits and 2 decimals, no sign, no leading zero: what the
models' ``Decimal(ge=0, max_digits=14, decimal_places=2)`` accepts and reads the same way (a
number, an exponent or another spelling goes to the models)."""


class ScanIn(msgspec.Struct, tag_field="type", tag="scan", forbid_unknown_fields=True, frozen=True):
    """A scan in the usual shape; printable text is checked once per chunk (see
    :func:`_may_hold_control`) or per row by :func:`_fast`."""

    event_id: _Id
    ts: str
    parcel_id: _Id
    status: ScanStatus
    area: _Label
    site: _Label
    exception: ExceptionKind | None = None

    def texts(self) -> str:
        return f"{self.event_id}{self.parcel_id}{self.area}{self.site}"


class OrderIn(msgspec.Struct, tag_field="type", tag="order", forbid_unknown_fields=True, frozen=True):
    """An order in the usual shape (amount as text, coupon flag a JSON boolean)."""

    event_id: _Id
    ts: str
    order_id: _Id
    shop: _Label
    status: Literal["created", "paid", "cancelled"]
    amount: Annotated[str, msgspec.Meta(pattern=_AMOUNT)]
    coupon_error: bool = False

    def texts(self) -> str:
        return f"{self.event_id}{self.order_id}{self.shop}"


class MetricsIn(msgspec.Struct, tag_field="type", tag="shop_metrics", forbid_unknown_fields=True, frozen=True):
    """A shop's metrics in the usual shape (counts as JSON integers)."""

    event_id: _Id
    ts: str
    shop: _Label
    visitors: _Count
    orders: _Count
    paid_orders: _Count
    platform_errors: _Count

    def texts(self) -> str:
        return f"{self.event_id}{self.shop}"


EventIn = ScanIn | OrderIn | MetricsIn
_EVENT_JSON = msgspec.json.Decoder(EventIn)
_EVENTS_JSON = msgspec.json.Decoder(list[EventIn])
_ENCODE = msgspec.json.Encoder()

Record = tuple[int, str, str, datetime, str, str, str | None, str | None, str | None, str]
"""(line, event_id, type, ts in UTC, subject, scope, status, site, exception, payload JSON):
subject is the parcel, order or shop; scope the area for scans, the shop otherwise; site and
exception are a scan's."""

PAYLOAD_FIELDS = {
    "scan": ("site", "exception"),
    "order": ("amount", "coupon_error"),
    "shop_metrics": ("visitors", "orders", "paid_orders", "platform_errors"),
}
"""What an event's stored payload keeps: its fields that no column of ``monitor_events`` holds
(the id, type, time, subject, scope and status are columns), a null one left out. The whole
event in the payload stored those six twice: a scan's payload was 190 bytes of JSON instead
of about 20, which made the row twice as large on disk and in every write (issue 14). Readers
ask the payload only for these fields, so rows stored whole before read the same."""


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
    fast_orders: dict[int, OrderEvent] = {}  # by position: the orders the chunks decoded
    chunk: list[int] = []  # positions of rows that look like JSON objects, decoded together
    stamps: dict[str, datetime] = {}
    for at, (line, row) in enumerate(rows):
        if type(row) is bytes and row.rstrip().endswith(b"}"):
            chunk.append(at)
            if len(chunk) == CHUNK:
                _decode_chunk(rows, chunk, items, fast_orders, stamps)
                chunk = []
        else:
            items[at] = _one(line, row)
    _decode_chunk(rows, chunk, items, fast_orders, stamps)
    batch = Batch()
    seen: set[str] = set()
    for at, item in enumerate(items):
        if type(item) is tuple:
            record: Record = item
        elif isinstance(item, Rejected):
            batch.rejected.append(item)
            continue
        else:
            record = _record(rows[at][0], item)
        if record[1] in seen:
            batch.repeated += 1
            continue
        seen.add(record[1])
        batch.records.append(record)
        if record[2] == "order":
            batch.orders[record[1]] = item if isinstance(item, OrderEvent) else fast_orders[at]
    return batch


CHUNK = 500
"""Rows decoded in one call: enough to pay off, few to decode again one by one when one of
them is not a good event."""


def _may_hold_control(data: bytes) -> bool:
    """In JSON text a control character inside a string is either escaped or (DEL) raw; the
    others raw are refused by the decoder. A chunk without either holds none in any field (two
    byte searches: a regular expression's class took half a millisecond a chunk)."""
    return b"\\" in data or b"\x7f" in data


def _decode_chunk(
    rows: list[tuple[int, Any]],
    chunk: list[int],
    items: list[Any],
    fast_orders: dict[int, OrderEvent],
    stamps: dict[str, datetime],
) -> None:
    """The object-looking rows at ``chunk`` as records, decoded as one JSON array; if any of
    them is not a good event, each row goes its own way (:func:`_one`), for its own verdict and
    reason.

    The lines are joined by a newline and a comma. A raw newline cannot be inside a string, and
    every line ends with ``}``, so two lines could only become one element if that ``}`` closed
    an object nested inside an event, which has none (the decoder refuses it); and a line
    holding two elements shows as one element too many. So when the count matches, element *i*
    is line *i*, decoded exactly as alone."""
    if not chunk:
        return
    data = b"\n,".join([rows[at][1] for at in chunk])
    try:
        events = _EVENTS_JSON.decode(b"[" + data + b"]")
        check = _may_hold_control(data)
        # strict: one element too many (a line of two) raises ValueError, and all go one by one
        records = [_fast(rows[at][0], event, stamps, check) for at, event in zip(chunk, events, strict=True)]
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError, OverflowError):
        for at in chunk:
            items[at] = _one(*rows[at])
        return
    for at, record, event in zip(chunk, records, events, strict=True):
        items[at] = record
        if type(event) is OrderIn:
            fast_orders[at] = _order_event(event, record[3])


def _one(line: int, row: Any) -> Record | ScanEvent | OrderEvent | ShopMetricsEvent | Rejected:
    """One row's record or model or rejection: a scan or shop metrics the decoder accepts as a
    record, anything else (orders too: their state wants the model) by the models."""
    if isinstance(row, Rejected):
        return row
    if isinstance(row, bytes):
        try:
            event = _EVENT_JSON.decode(row)
            if type(event) is not OrderIn:
                return _fast(line, event)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError, OverflowError):
            pass
        row = decode_json(line, row)
        if isinstance(row, Rejected):
            return row
    if not isinstance(row, dict):
        return Rejected(line, raw_text(row), "not a JSON object")
    cleaned = clean_row(row)
    if cleaned.get("type") in ("scan", "shop_metrics"):
        try:
            return _fast(line, msgspec.convert(cleaned, EventIn))
        except (msgspec.ValidationError, ValueError, OverflowError):
            pass
    try:
        return parse_row(cleaned, cleaned=True)
    except ValidationError as exc:
        return Rejected(line, raw_text(row), reason_of(exc))


def _fast(line: int, event: EventIn, stamps: dict[str, datetime] | None = None, check: bool = True) -> Record:
    """An event the decoder accepted as a record; a time the models would refuse (a date that
    does not exist, outside the UTC range) raises so that the models give the reason. ``stamps``
    keeps the times already read in this batch (a feed repeats each second many times);
    ``check`` False when the caller knows no field holds a control character."""
    if check and CONTROL.search(event.texts()):
        raise ValueError("control characters: the models say which field")
    ts = stamps.get(event.ts) if stamps is not None else None
    if ts is None:
        if _RFC3339.fullmatch(event.ts) is None:
            raise ValueError("another time format: the models read it or say why not")
        ts = datetime.fromisoformat(event.ts).astimezone(UTC)
        if stamps is not None:
            stamps[event.ts] = ts
    payload = _payload(str(event.__struct_config__.tag), lambda name: getattr(event, name))
    if type(event) is ScanIn:
        return (line, event.event_id, "scan", ts, event.parcel_id, event.area, event.status, event.site,
                event.exception, payload)  # fmt: skip
    if type(event) is OrderIn:
        return (line, event.event_id, "order", ts, event.order_id, event.shop, event.status, None, None, payload)
    assert type(event) is MetricsIn
    return (line, event.event_id, "shop_metrics", ts, event.shop, event.shop, None, None, None, payload)


def _order_event(order: OrderIn, ts: datetime) -> OrderEvent:
    """The model of an order the decoder accepted, without validating it again (the decoder
    checked the same rules)."""
    return OrderEvent.model_construct(
        event_id=order.event_id,
        ts=ts,
        type="order",
        order_id=order.order_id,
        shop=order.shop,
        status=order.status,
        amount=Decimal(order.amount),
        coupon_error=order.coupon_error,
    )


def _payload(kind: str, field: Callable[[str], Any]) -> str:
    """The stored payload (see :data:`PAYLOAD_FIELDS`) of an event of type ``kind``, given a
    reader of its fields."""
    return _ENCODE.encode({name: v for name in PAYLOAD_FIELDS[kind] if (v := field(name)) is not None}).decode()


def _record(line: int, event: ScanEvent | OrderEvent | ShopMetricsEvent) -> Record:
    payload = _payload(event.type, event.model_dump(mode="json").get)
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
