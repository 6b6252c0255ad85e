"""The three event shapes and how raw rows become them. A row that does not parse becomes a
:class:`Rejected` with its line and reason, never an exception that would stop a batch, so one
bad row cannot cost the good ones (and nothing is silently dropped)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

ScanStatus = Literal["picked_up", "hub_arrived", "hub_departed", "out_for_delivery", "delivered", "exception"]
ExceptionKind = Literal["lost", "damaged", "short", "withheld", "robbed", "prohibited"]
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
"""C0 control characters and DEL: never part of an id, an area or a shop name, and PostgreSQL
cannot store NUL in text at all (one NUL used to fail the whole batch, issue 13 item 4)."""


def _printable(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _in_utc_range(value: datetime) -> datetime:
    """A time whose UTC form falls outside years 1-9999 cannot be stored: refused here rather
    than failing the whole batch at the database."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None
    return value


Id = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_printable)]
"""An event, parcel or order id: non-empty, printable, at most 80 characters."""
Label = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_printable)]
"""An area, site or shop: non-empty, printable, at most 64 characters."""


Stamp = Annotated[AwareDatetime, AfterValidator(_in_utc_range)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Id
    ts: Stamp
    """ISO 8601 with an offset: a time without one is refused (whose midnight would it be?)."""


class ScanEvent(_Event):
    type: Literal["scan"]
    parcel_id: Id
    status: ScanStatus
    area: Label
    site: Label
    exception: ExceptionKind | None = None


class OrderEvent(_Event):
    type: Literal["order"]
    order_id: Id
    shop: Label
    status: Literal["created", "paid", "cancelled"]
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    coupon_error: bool = False


class ShopMetricsEvent(_Event):
    type: Literal["shop_metrics"]
    shop: Label
    visitors: int = Field(ge=0)
    orders: int = Field(ge=0)
    paid_orders: int = Field(ge=0)
    platform_errors: int = Field(ge=0)


Event = Annotated[ScanEvent | OrderEvent | ShopMetricsEvent, Field(discriminator="type")]
_ADAPTER: TypeAdapter[ScanEvent | OrderEvent | ShopMetricsEvent] = TypeAdapter(Event)


@dataclass(frozen=True)
class Rejected:
    """A row that could not be accepted: where it was, what it said, why it was refused."""

    line: int
    raw: str
    reason: str


def parse_row(row: dict[str, Any], cleaned: bool = False) -> ScanEvent | OrderEvent | ShopMetricsEvent:
    return _ADAPTER.validate_python(row if cleaned else clean_row(row))


def parse_rows(
    rows: Iterable[tuple[int, Any]],
) -> Iterator[ScanEvent | OrderEvent | ShopMetricsEvent | Rejected]:
    """Each (line, row) as an event or a :class:`Rejected` naming the field and the reason. A
    row is a decoded JSON value, raw JSON text (``bytes``) or already a :class:`Rejected`."""
    for line, row in rows:
        if isinstance(row, bytes):
            row = decode_json(line, row)
        if isinstance(row, Rejected):
            yield row
            continue
        if not isinstance(row, dict):
            yield Rejected(line, raw_text(row), "not a JSON object")
            continue
        try:
            yield parse_row(row)
        except ValidationError as exc:
            yield Rejected(line, raw_text(row), reason_of(exc))


def decode_json(line: int, data: bytes) -> Any:
    """One JSON text as its value, or a :class:`Rejected` saying why it is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Rejected(line, data[:2000].decode("utf-8", "replace"), "not UTF-8 text")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejected(line, text[:2000], f"bad JSON: {exc.msg}")


def read_file(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, row) from NDJSON (.ndjson/.jsonl/.json), CSV or Parquet; the same fields in
    each. An NDJSON row is the line's raw text (``bytes``, decoded by whoever validates it, so
    the bulk path can decode and check it in one compiled step); blank lines are skipped."""
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl", ".json"):
        yield from _ndjson_lines(path)
        return
    if suffix in (".csv", ".parquet"):
        import polars as pl

        frame = pl.read_csv(path, infer_schema=False) if suffix == ".csv" else pl.read_parquet(path)
        for number, row in enumerate(frame.iter_rows(named=True), start=2 if suffix == ".csv" else 1):
            yield number, {k: v for k, v in row.items() if v is not None and v != ""}
        return
    raise ValueError(f"unknown event file type {suffix!r}: use .ndjson, .csv or .parquet")


def _ndjson_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Lines numbered as a text reader would (``\\n``, ``\\r\\n`` and a lone ``\\r`` each end one)."""
    number = 0
    with path.open("rb") as fh:
        for chunk in fh:
            for text in chunk.splitlines() if b"\r" in chunk.rstrip(b"\r\n") else (chunk,):
                number += 1
                text = text.rstrip(b"\r\n")
                if text.strip():
                    yield number, text


_FIELDS = {
    "scan": frozenset(ScanEvent.model_fields),
    "order": frozenset(OrderEvent.model_fields),
    "shop_metrics": frozenset(ShopMetricsEvent.model_fields),
}


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """CSV and Parquet carry every column on every row: drop the ones that do not belong to the
    row's type, and read CSV's text booleans."""
    kind = row.get("type")
    allowed = _FIELDS.get(kind) if isinstance(kind, str) else None
    if allowed is None:
        return row
    out = {}
    for key, value in row.items():
        if key not in allowed and (value is None or value == ""):
            continue
        if key == "coupon_error" and isinstance(value, str):
            value = {"true": True, "false": False, "1": True, "0": False}.get(value.lower(), value)
        if key == "exception" and value in ("", "null"):
            value = None
        out[key] = value
    return out


def reason_of(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if str(p) not in ("scan", "order", "shop_metrics"))
    return f"{loc or 'row'}: {err['msg']}"


def raw_text(row: Any) -> str:
    try:
        return json.dumps(row, ensure_ascii=False, default=str)[:2000]
    except (TypeError, ValueError):
        return str(row)[:2000]
