"""The stock ledger (S2.5, S2.8): every change of stock is one appended :class:`StockMove`, and
the same transaction adds it to :class:`StockBalance`. Balances change only by conditional
updates whose WHERE clause carries the condition (enough on hand, enough unreserved), so two
transactions on separate connections can never both take the last unit: on PostgreSQL the second
UPDATE waits for the first and re-checks its WHERE on the committed row; on SQLite writers are
serialised by BEGIN IMMEDIATE. The CHECK constraints are the last line: never negative."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.errors import Conflict, InvalidInput
from peakguard.export_safety import csv_document
from peakguard.warehouse.models import Location, Sku, StockBalance, StockMove
from peakguard.warehouse.scope import client_filter

SOURCE = "in"
SINK = "shipped"


def place_of_location(location_id: int) -> str:
    return f"loc:{location_id}"


_BAL = cast(Table, StockBalance.__table__)
_MOVE = cast(Table, StockMove.__table__)
# Built once: the scan path runs these on every pick, and SQLAlchemy then reuses their compiled form.
_TAKE_RESERVED = (
    update(_BAL)
    .where(
        _BAL.c.sku_id == bindparam("b_sku"),
        _BAL.c.place == bindparam("b_place"),
        _BAL.c.reserved >= bindparam("b_qty"),
    )
    .values(on_hand=_BAL.c.on_hand - bindparam("b_qty"), reserved=_BAL.c.reserved - bindparam("b_qty"))
)
_TAKE_FREE = (
    update(_BAL)
    .where(
        _BAL.c.sku_id == bindparam("b_sku"),
        _BAL.c.place == bindparam("b_place"),
        _BAL.c.on_hand - _BAL.c.reserved >= bindparam("b_qty"),
    )
    .values(on_hand=_BAL.c.on_hand - bindparam("b_qty"))
)
_APPEND = insert(_MOVE)


def _upsert(insert_for: Any) -> Any:
    stmt = insert_for(_BAL).values(
        client_id=bindparam("b_client"),
        sku_id=bindparam("b_sku"),
        place=bindparam("b_place"),
        location_id=bindparam("b_loc"),
        on_hand=bindparam("b_qty"),
        reserved=0,
    )
    return stmt.on_conflict_do_update(
        index_elements=[_BAL.c.sku_id, _BAL.c.place],
        set_={"on_hand": _BAL.c.on_hand + stmt.excluded.on_hand},
    )


_UPSERT = {"postgresql": _upsert(pg_insert), "sqlite": _upsert(sqlite_insert)}


def move(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    client_id: int,
    sku_id: int,
    from_place: str,
    to_place: str,
    quantity: int,
    kind: str,
    ref: str = "",
    reserved: bool = False,
) -> None:
    """Append one move and apply it to both balances. ``reserved`` consumes stock that allocation
    reserved (a pick); otherwise only unreserved stock may leave a place."""
    if quantity < 1:
        raise InvalidInput("quantity", "must be 1 or more")
    if from_place != SOURCE:
        taken = session.execute(
            _TAKE_RESERVED if reserved else _TAKE_FREE,
            {"b_sku": sku_id, "b_place": from_place, "b_qty": quantity},
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "not enough stock at {from_place}: {quantity} needed",
                field="quantity",
                from_place=from_place,
                quantity=quantity,
            )
    if to_place != SINK:
        _put(session, client_id, sku_id, to_place, quantity)
    session.execute(
        _APPEND,
        {
            "client_id": client_id,
            "sku_id": sku_id,
            "from_place": from_place,
            "to_place": to_place,
            "quantity": quantity,
            "kind": kind,
            "ref": ref,
            "at": now,
            "actor": actor.name,
        },
    )


def _put(session: Session, client_id: int, sku_id: int, place: str, quantity: int) -> None:
    """Add to a place's balance, making the row if it is the first stock there: one
    ``INSERT .. ON CONFLICT DO UPDATE`` on both databases, so two transactions that both find
    no row cannot both insert one (the unique (sku, place) decides), and no savepoint."""
    session.execute(
        _UPSERT[session.get_bind().dialect.name],
        {
            "b_client": client_id,
            "b_sku": sku_id,
            "b_place": place,
            "b_loc": int(place[4:]) if place.startswith("loc:") else None,
            "b_qty": quantity,
        },
    )


def reserve(session: Session, balance_id: int, quantity: int) -> bool:
    """Reserve ``quantity`` at one balance if that much is still unreserved (S2.9 allocation)."""
    result = session.execute(
        update(StockBalance)
        .where(StockBalance.id == balance_id, StockBalance.on_hand - StockBalance.reserved >= quantity)
        .values(reserved=StockBalance.reserved + quantity)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StockRow:
    """One SKU's stock at one place (see :class:`StockMove` for the places), as the query, the
    export and the API answer it."""

    client_id: int
    sku: str
    barcode: str
    place: str
    location: str | None
    on_hand: int
    reserved: int
    available: int
    held: bool


def query(
    session: Session, actor: Actor, client_id: int | None = None, sku: str | None = None
) -> list[StockRow]:
    """Real-time stock per client, SKU and place (S2.8); QC-failed stock shows as held, never
    available."""
    stmt = (
        select(StockBalance, Sku, Location.code)
        .join(Sku, Sku.id == StockBalance.sku_id)
        .outerjoin(Location, Location.id == StockBalance.location_id)
        .where(StockBalance.on_hand > 0)
        .order_by(StockBalance.client_id, Sku.code, StockBalance.place)
        .execution_options(populate_existing=True)  # balances change by Core updates
    )
    scoped = client_filter(actor, client_id)
    if scoped is not None:
        stmt = stmt.where(StockBalance.client_id == scoped)
    if sku:
        stmt = stmt.where(Sku.code == sku)
    rows = []
    for bal, item, loc in session.execute(stmt):
        held = bal.place == "hold"
        available = 0 if held or loc is None else bal.on_hand - bal.reserved
        rows.append(
            StockRow(
                bal.client_id,
                item.code,
                item.barcode,
                bal.place,
                loc,
                bal.on_hand,
                bal.reserved,
                available,
                held,
            )
        )
    return rows


def totals(session: Session, actor: Actor, client_id: int | None = None) -> dict[str, dict[str, int]]:
    """Per SKU code: on hand, reserved, available (at locations) and held, summed over places."""
    out: dict[str, dict[str, int]] = {}
    for row in query(session, actor, client_id):
        entry = out.setdefault(row.sku, {"on_hand": 0, "reserved": 0, "available": 0, "held": 0})
        entry["on_hand"] += row.on_hand
        entry["reserved"] += row.reserved
        entry["available"] += row.available
        entry["held"] += row.on_hand if row.held else 0
    return out


def export(rows: list[StockRow], fmt: str) -> str:
    """CSV or NDJSON of :func:`query` rows, for a shop to publish accurate stock (S2.8)."""
    fields = list(StockRow.__dataclass_fields__)
    if fmt == "ndjson":
        return "".join(
            json.dumps({f: getattr(r, f) for f in fields}, ensure_ascii=False) + "\n" for r in rows
        )
    if fmt != "csv":
        raise InvalidInput("format", "must be csv or ndjson")
    return csv_document([fields] + [[getattr(r, f) for f in fields] for r in rows])


def ledger_balance(session: Session, sku_id: int, place: str) -> int:
    """The balance recomputed from the ledger alone, to prove the running sum right."""
    into = session.scalar(
        select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
            StockMove.sku_id == sku_id, StockMove.to_place == place
        )
    )
    out = session.scalar(
        select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
            StockMove.sku_id == sku_id, StockMove.from_place == place
        )
    )
    return int(into or 0) - int(out or 0)
