"""SKUs per client with their barcodes (S2.6): an existing EAN-13 / UPC-A code is checked digit
by digit; a product without one gets a unique Code128 code generated here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput
from peakguard.labels import barcodes, render, zpl
from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing
from peakguard.warehouse.clients import get_client
from peakguard.warehouse.models import Sku
from peakguard.warehouse.scope import client_filter, get_owned


def create_sku(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    client_id: int,
    code: str,
    name: str,
    barcode: str | None = None,
) -> Sku:
    client_id = client_filter(actor, client_id) or client_id
    get_client(session, actor, client_id)
    code = code.strip()
    if not code or len(code) > 64:
        raise InvalidInput("code", "must be 1-64 characters")
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    kind = barcodes.classify(barcode) if barcode else "code128"
    if session.scalar(select(Sku.id).where(Sku.client_id == client_id, Sku.code == code)) is not None:
        raise Conflict("SKU {code} exists for this client", field="code", code=code)
    if (
        barcode
        and session.scalar(select(Sku.id).where(Sku.client_id == client_id, Sku.barcode == barcode.strip()))
        is not None
    ):
        raise Conflict(
            "barcode {barcode} is already on another SKU of this client", field="barcode", barcode=barcode
        )
    sku = Sku(
        client_id=client_id,
        code=code,
        name=name.strip(),
        barcode=(barcode or "").strip() or "-",
        barcode_kind=kind,
    )
    session.add(sku)
    session.flush()
    if not barcode:
        sku.barcode = barcodes.generated_code(client_id, sku.id)
    record(
        session,
        actor,
        "warehouse.sku.create",
        "wh_sku",
        sku.id,
        now,
        client_id=client_id,
        code=code,
        barcode=sku.barcode,
        barcode_kind=kind,
    )
    return sku


def get_sku(session: Session, actor: Actor, sku_id: int) -> Sku:
    return get_owned(session, actor, Sku, sku_id, "SKU")


def sku_by_code(session: Session, client_id: int, code: str, field: str = "sku") -> Sku:
    sku = session.scalar(select(Sku).where(Sku.client_id == client_id, Sku.code == code))
    if sku is None:
        raise InvalidInput(field, "unknown SKU {code!r}", code=code)
    return sku


def list_skus(session: Session, actor: Actor, client_id: int | None = None) -> list[Sku]:
    query = select(Sku).order_by(Sku.client_id, Sku.code)
    scoped = client_filter(actor, client_id)
    if scoped is not None:
        query = query.where(Sku.client_id == scoped)
    return list(session.scalars(query))


def sku_label(
    session: Session, actor: Actor, now: datetime, plan: Plan, sku_id: int, *, fmt: str = "pdf"
) -> bytes | str:
    """One product label (60 x 40 mm PDF, or ZPL text), billed as one label."""
    sku = get_sku(session, actor, sku_id)
    if fmt not in ("pdf", "zpl"):
        raise InvalidInput("format", "must be pdf or zpl")
    billing.charge(session, now, plan, client_id=sku.client_id, code="label", quantity=1, ref=f"sku:{sku.id}")
    record(session, actor, "warehouse.sku.label", "wh_sku", sku.id, now, format=fmt)
    if fmt == "zpl":
        return zpl.product_label(sku.barcode, sku.code, sku.name)
    return render.product_label(sku.barcode, sku.code, sku.name)
