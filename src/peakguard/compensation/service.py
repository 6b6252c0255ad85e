"""Registering affected orders (from detection or by hand), agreeing the compensation, marking
it paid, exporting the register."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.compensation.models import CompensationEntry
from peakguard.errors import Conflict, InvalidInput, NotFound
from peakguard.export_safety import csv_document
from peakguard.i18n import translator

METHODS = ("cash_back", "price_cut")


def register_affected(
    session: Session,
    actor: Actor,
    now: datetime,
    order_ids: Sequence[str],
    *,
    amounts: Mapping[str, tuple[str, Any]],
    incident_id: int | None = None,
) -> list[CompensationEntry]:
    """Put every order not yet on the register onto it (detection calls this each time a coupon
    failure grows; an order already there is left as it is). ``amounts`` gives each order's shop
    and amount as the caller knows them (detection reads them from its own tables, so this
    domain never imports the monitor back); an order missing there is registered with shop "?"
    and no amount."""
    known = set(
        session.scalars(select(CompensationEntry.order_id).where(CompensationEntry.order_id.in_(order_ids)))
    )
    added = []
    for order_id in order_ids:
        if order_id in known:
            continue
        shop, amount = amounts.get(order_id, ("?", None))
        entry = CompensationEntry(
            order_id=order_id,
            shop=shop,
            order_amount=amount,
            source="detector",
            incident_id=incident_id,
            registered_at=now,
        )
        session.add(entry)
        added.append(entry)
        known.add(order_id)
    if added:
        session.flush()
        record(
            session,
            actor,
            "compensation.register",
            "compensation",
            incident_id or "-",
            now,
            orders=len(added),
        )
    return added


def add(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    order_id: str,
    shop: str,
    order_amount: Decimal | None = None,
) -> CompensationEntry:
    """Register an affected order by hand (S1.5: the seller noticed it before any detector)."""
    order_id, shop = order_id.strip(), shop.strip()
    if not order_id:
        raise InvalidInput("order_id", "must not be empty")
    if not shop:
        raise InvalidInput("shop", "must not be empty")
    if order_amount is not None and order_amount < 0:
        raise InvalidInput("order_amount", "must not be negative")
    if session.scalar(select(CompensationEntry.id).where(CompensationEntry.order_id == order_id)):
        raise Conflict("order {order_id} is already on the register", field="order_id", order_id=order_id)
    entry = CompensationEntry(
        order_id=order_id, shop=shop, order_amount=order_amount, source="manual", registered_at=now
    )
    session.add(entry)
    session.flush()
    record(session, actor, "compensation.add", "compensation", entry.id, now, order_id=order_id)
    return entry


def set_terms(
    session: Session, actor: Actor, now: datetime, entry_id: int, *, method: str, amount: str | Decimal
) -> CompensationEntry:
    entry = get(session, entry_id)
    if entry.status == "paid":
        raise Conflict("compensation {entry_id} is already paid", entry_id=entry_id)
    if method not in METHODS:
        raise InvalidInput("method", "one of {choices}", choices=", ".join(METHODS))
    value = parse_money("amount", amount)
    if entry.order_amount is not None and value > entry.order_amount:
        raise InvalidInput("amount", "more than the order's {order_amount}", order_amount=entry.order_amount)
    entry.method, entry.amount = method, value
    record(
        session, actor, "compensation.terms", "compensation", entry.id, now, method=method, amount=str(value)
    )
    return entry


def mark_paid(session: Session, actor: Actor, now: datetime, entry_id: int) -> CompensationEntry:
    entry = get(session, entry_id)
    if entry.status == "paid":
        raise Conflict("compensation {entry_id} is already paid", entry_id=entry_id)
    if entry.method is None or entry.amount is None:
        raise Conflict(
            "compensation {entry_id} has no method and amount yet", field="method", entry_id=entry_id
        )
    entry.status, entry.paid_at = "paid", now
    record(session, actor, "compensation.paid", "compensation", entry.id, now)
    return entry


def get(session: Session, entry_id: int) -> CompensationEntry:
    entry = session.get(CompensationEntry, entry_id)
    if entry is None:
        raise NotFound("no compensation entry {entry_id}", entry_id=entry_id)
    return entry


def entries(session: Session, status: str | None = None) -> list[CompensationEntry]:
    query = select(CompensationEntry).order_by(CompensationEntry.id)
    if status:
        query = query.where(CompensationEntry.status == status)
    return list(session.scalars(query))


COLUMNS = (
    ("order_id", "Order"),
    ("shop", "Shop"),
    ("order_amount", "Order amount"),
    ("method", "Method"),
    ("amount", "Amount"),
    ("status", "Status"),
    ("source", "Source"),
    ("registered_at", "Registered at"),
    ("paid_at", "Paid at"),
)
"""The register's columns: the field (the header without a language, for programs) and the
msgid of its header for a person."""


def export_csv(session: Session, lang: str | None = None) -> str:
    """The register as CSV: with ``lang`` (the page's download) the headers, methods, states and
    sources are in that language; without, they are the codes a program reads."""
    say = translator(lang) if lang else str
    header = [say(title) if lang else name for name, title in COLUMNS]
    return csv_document(
        [header]
        + [
            [
                e.order_id,
                e.shop,
                e.order_amount or "",
                say(e.method) if e.method else "",
                e.amount or "",
                say(e.status),
                say(e.source),
                e.registered_at.isoformat(),
                e.paid_at.isoformat() if e.paid_at else "",
            ]
            for e in entries(session)
        ]
    )


def parse_money(field: str, value: str | Decimal) -> Decimal:
    """An amount of money typed by a person (a form, the CLI): more than 0, to the fen."""
    try:
        amount = Decimal(str(value).strip()).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise InvalidInput(field, "not an amount of money: {value!r}", value=value) from exc
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(field, "must be more than 0")
    return amount
