"""Inbound (S2.4-S2.7): a client's inbound plan of expected lines -> receipts scanned at the dock
with quantity and QC result (a failure goes to ``hold`` with its reason, S2.6) -> closing the plan
records discrepancies and bills each line -> pallets with a license plate -> putaway at a
suggested location: the client's own dedicated bay when it asked for one, else a shared bay
(S2.7). One client, one bay (S2.3): goods never go into another client's bay, and a client with
dedicated storage never into a shared one; a location other than the suggested one needs a
supervisor's explicit override."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.auth.roles import Perm, allows
from peakguard.errors import Conflict, Forbidden, InvalidInput, NotFound
from peakguard.labels import barcodes, render, zpl
from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing, stock
from peakguard.warehouse.clients import get_client
from peakguard.warehouse.models import (
    Bay,
    Client,
    InboundLine,
    InboundPlan,
    Location,
    Pallet,
    Receipt,
    Sku,
    StockBalance,
)
from peakguard.warehouse.scope import client_filter, get_owned
from peakguard.warehouse.skus import sku_by_code

QC = ("pass", "fail")
NOT_SUGGESTED = "not the suggested location: scanned {code}, take it to {location}"


@dataclass(frozen=True)
class PlanLineIn:
    sku: str
    expected: int


def create_plan(
    session: Session, actor: Actor, now: datetime, *, client_id: int, lines: list[PlanLineIn], notes: str = ""
) -> InboundPlan:
    client_id = client_filter(actor, client_id) or client_id
    get_client(session, actor, client_id)
    if not lines:
        raise InvalidInput("lines", "an inbound plan needs at least one line")
    plan = InboundPlan(client_id=client_id, notes=notes, status="planned", created_at=now)
    session.add(plan)
    session.flush()
    seen = set()
    for i, line in enumerate(lines):
        sku = sku_by_code(session, client_id, line.sku, f"lines.{i}.sku")
        if line.expected < 1:
            raise InvalidInput(f"lines.{i}.expected", "must be 1 or more")
        if sku.id in seen:
            raise InvalidInput(f"lines.{i}.sku", "SKU {sku} is already on this plan", sku=line.sku)
        seen.add(sku.id)
        session.add(InboundLine(plan_id=plan.id, sku_id=sku.id, expected=line.expected))
    session.flush()
    record(
        session,
        actor,
        "warehouse.inbound.plan",
        "wh_inbound_plan",
        plan.id,
        now,
        client_id=client_id,
        lines=len(lines),
    )
    return plan


def get_plan(session: Session, actor: Actor, plan_id: int) -> InboundPlan:
    return get_owned(session, actor, InboundPlan, plan_id, "inbound plan")


def open_plan(session: Session, actor: Actor, plan_id: int) -> InboundPlan:
    """A plan that still takes receipts: a closed (received) one takes none (S2.5)."""
    plan = get_plan(session, actor, plan_id)
    if plan.status == "received":
        raise Conflict("inbound plan {plan_id} is closed", field="plan_id", plan_id=plan_id)
    return plan


def plan_lines(session: Session, plan: InboundPlan) -> list[tuple[InboundLine, Sku]]:
    return list(
        session.execute(
            select(InboundLine, Sku)
            .join(Sku, Sku.id == InboundLine.sku_id)
            .where(InboundLine.plan_id == plan.id)
            .order_by(InboundLine.id)
        ).all()
    )


def list_plans(session: Session, actor: Actor, client_id: int | None = None) -> list[InboundPlan]:
    query = select(InboundPlan).order_by(InboundPlan.id.desc())
    scoped = client_filter(actor, client_id)
    if scoped is not None:
        query = query.where(InboundPlan.client_id == scoped)
    return list(session.scalars(query))


def receive(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    plan_id: int,
    barcode: str,
    quantity: int,
    qc: str = "pass",
    reason: str = "",
) -> Receipt:
    """A scan at the dock: the item's barcode picks the plan line; passed goods wait at the dock
    for a pallet, failed goods are held apart with the reason."""
    plan = open_plan(session, actor, plan_id)
    if quantity < 1:
        raise InvalidInput("quantity", "must be 1 or more")
    if qc not in QC:
        raise InvalidInput("qc", "must be pass or fail")
    if qc == "fail" and not reason.strip():
        raise InvalidInput("reason", "a QC failure needs its reason")
    found = session.execute(
        select(InboundLine, Sku)
        .join(Sku, Sku.id == InboundLine.sku_id)
        .where(InboundLine.plan_id == plan.id, Sku.barcode == barcode.strip())
    ).first()
    if found is None:
        barcodes.refuse_misread(barcode, "barcode")
        raise InvalidInput(
            "barcode", "{barcode} is not on inbound plan {plan_id}", barcode=barcode.strip(), plan_id=plan_id
        )
    line, sku = found
    if line.received + line.failed + quantity > line.expected:
        raise InvalidInput(
            "quantity",
            "more than the inbound plan expects for this item: {sku} expects {expected}, {done} are in; "
            "set the extra aside",
            sku=sku.code,
            expected=line.expected,
            done=line.received + line.failed,
        )
    if qc == "pass":
        line.received += quantity
    else:
        line.failed += quantity
    receipt = Receipt(
        line_id=line.id, quantity=quantity, qc=qc, reason=reason.strip(), at=now, actor=actor.name
    )
    session.add(receipt)
    session.flush()
    stock.move(
        session,
        actor,
        now,
        client_id=plan.client_id,
        sku_id=sku.id,
        from_place=stock.SOURCE,
        to_place="dock" if qc == "pass" else "hold",
        quantity=quantity,
        kind="receive",
        ref=f"receipt:{receipt.id}",
    )
    plan.status = "receiving"
    record(
        session,
        actor,
        "warehouse.inbound.receive",
        "wh_inbound_plan",
        plan.id,
        now,
        sku=sku.code,
        quantity=quantity,
        qc=qc,
        reason=reason,
    )
    return receipt


@dataclass(frozen=True)
class Discrepancy:
    sku: str
    expected: int
    received: int
    failed: int

    @property
    def difference(self) -> int:
        return self.received + self.failed - self.expected


def close_plan(session: Session, actor: Actor, now: datetime, plan: Plan, plan_id: int) -> list[Discrepancy]:
    """Finish receiving: bill one inbound line per plan line and return the lines whose count
    differs from what the client announced."""
    inbound = open_plan(session, actor, plan_id)
    rows = plan_lines(session, inbound)
    inbound.status = "received"
    billing.charge(
        session,
        now,
        plan,
        client_id=inbound.client_id,
        code="inbound_line",
        quantity=len(rows),
        ref=f"inbound:{inbound.id}",
    )
    found = [Discrepancy(sku.code, line.expected, line.received, line.failed) for line, sku in rows]
    off = [d for d in found if d.difference != 0]
    record(
        session,
        actor,
        "warehouse.inbound.close",
        "wh_inbound_plan",
        inbound.id,
        now,
        discrepancies=[(d.sku, d.difference) for d in off],
    )
    return off


@dataclass(frozen=True)
class PalletItem:
    sku: str
    quantity: int


def palletize(
    session: Session, actor: Actor, now: datetime, *, client_id: int, items: list[PalletItem]
) -> Pallet:
    """Build a pallet from received stock at the dock; it gets its license plate."""
    get_client(session, actor, client_id)
    if not items:
        raise InvalidInput("items", "a pallet needs at least one item")
    pallet = Pallet(client_id=client_id, code="-", created_at=now)
    session.add(pallet)
    session.flush()
    pallet.code = barcodes.license_plate(pallet.id)
    for i, item in enumerate(items):
        sku = sku_by_code(session, client_id, item.sku, f"items.{i}.sku")
        if item.quantity < 1:
            raise InvalidInput(f"items.{i}.quantity", "must be 1 or more")
        try:
            stock.move(
                session,
                actor,
                now,
                client_id=client_id,
                sku_id=sku.id,
                from_place="dock",
                to_place=f"pallet:{pallet.id}",
                quantity=item.quantity,
                kind="palletize",
                ref=pallet.code,
            )
        except Conflict as exc:
            raise InvalidInput(
                f"items.{i}.quantity",
                "only received stock can go on a pallet: {reason}",
                reason=exc,
            ) from exc
    record(
        session,
        actor,
        "warehouse.pallet.create",
        "wh_pallet",
        pallet.id,
        now,
        code=pallet.code,
        items=[(it.sku, it.quantity) for it in items],
    )
    return pallet


def get_pallet(session: Session, actor: Actor, pallet_id: int) -> Pallet:
    return get_owned(session, actor, Pallet, pallet_id, "pallet")


def pallet_label(session: Session, actor: Actor, pallet_id: int, fmt: str = "pdf") -> bytes | str:
    pallet = get_pallet(session, actor, pallet_id)
    client = session.get(Client, pallet.client_id)
    title = client.name if client else ""
    if fmt == "zpl":
        return zpl.product_label(pallet.code, title, pallet.code)
    if fmt != "pdf":
        raise InvalidInput("format", "must be pdf or zpl")
    return render.product_label(pallet.code, title, pallet.code)


def suggest_location(session: Session, actor: Actor, pallet_id: int) -> Location:
    """Where to put a pallet (S2.7): in the bays the client may use (its own dedicated bays, or
    the shared ones; never both, S2.3), a location already holding one of the pallet's SKUs for
    this client, else an empty one."""
    pallet = get_pallet(session, actor, pallet_id)
    client = session.get(Client, pallet.client_id)
    if client is None:
        raise NotFound("client {client_id} not found", client_id=pallet.client_id)
    skus = select(StockBalance.sku_id).where(StockBalance.place == f"pallet:{pallet.id}")
    bay_where = (
        [Bay.kind == "dedicated", Bay.client_id == client.id]
        if client.storage == "dedicated"
        else [Bay.kind == "shared"]
    )
    occupied = exists().where(StockBalance.location_id == Location.id, StockBalance.on_hand > 0)
    same = exists().where(
        StockBalance.location_id == Location.id,
        StockBalance.client_id == client.id,
        StockBalance.sku_id.in_(skus),
        StockBalance.on_hand > 0,
    )
    for condition in (same, ~occupied):
        loc = session.scalar(
            select(Location)
            .join(Bay, Bay.id == Location.bay_id)
            .where(*bay_where, condition)
            .order_by(Location.code)
            .limit(1)
        )
        if loc is not None:
            return loc
    raise Conflict("no free location for this pallet in the bays the client may use", field="location")


def check_bay(client: Client, bay: Bay, field: str) -> None:
    """One client, one bay (S2.3, S2.7): no override opens another client's bay, nor a shared
    bay to a client that asked for its own."""
    if bay.kind == "dedicated" and bay.client_id != client.id:
        raise InvalidInput(field, "this bay is dedicated to another client")
    if client.storage == "dedicated" and bay.kind != "dedicated":
        raise InvalidInput(field, "this client has dedicated storage: its goods stay in its own bay")


def find_location(session: Session, code: str, field: str) -> tuple[Location, Bay]:
    found = session.execute(
        select(Location, Bay).join(Bay, Bay.id == Location.bay_id).where(Location.code == code.strip())
    ).first()
    if found is None:
        raise InvalidInput(field, "unknown location {code!r}", code=code)
    return found[0], found[1]


def putaway(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    pallet_id: int,
    location_code: str,
    override: bool = False,
) -> Pallet:
    """Move everything on the pallet to a location (S2.5, S2.7). The location must be in a bay
    the client may use, always; and it must be the suggested one unless a supervisor (a role
    that may manage the warehouse) explicitly overrides, so a mis-scan cannot scatter stock."""
    pallet = get_pallet(session, actor, pallet_id)
    if pallet.location_id is not None:
        raise Conflict("pallet {code} is already put away", field="pallet_id", code=pallet.code)
    loc, bay = find_location(session, location_code, "location")
    client = session.get(Client, pallet.client_id)
    if client is None:
        raise NotFound("client {client_id} not found", client_id=pallet.client_id)
    check_bay(client, bay, "location")
    if override:
        if not allows(actor.role or "", Perm.WAREHOUSE_MANAGE):
            raise Forbidden(
                "only a supervisor may put a pallet away off the suggested location", field="override"
            )
    elif loc.id != (suggested := suggest_location(session, actor, pallet.id)).id:
        raise InvalidInput(
            "location", NOT_SUGGESTED, code=location_code.strip(), location=suggested.code
        )
    place = f"pallet:{pallet.id}"
    balances = list(
        session.scalars(select(StockBalance).where(StockBalance.place == place, StockBalance.on_hand > 0))
    )
    if not balances:
        raise Conflict("pallet {code} is empty", field="pallet_id", code=pallet.code)
    for bal in balances:
        stock.move(
            session,
            actor,
            now,
            client_id=pallet.client_id,
            sku_id=bal.sku_id,
            from_place=place,
            to_place=stock.place_of_location(loc.id),
            quantity=bal.on_hand,
            kind="putaway",
            ref=pallet.code,
        )
    pallet.location_id = loc.id
    record(
        session,
        actor,
        "warehouse.pallet.putaway",
        "wh_pallet",
        pallet.id,
        now,
        location=loc.code,
        override=override,
    )
    return pallet


def relocate(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    client_id: int,
    sku: str,
    from_location: str,
    to_location: str,
    quantity: int,
) -> None:
    """Move unreserved stock from one location to another (S2.5 moves); reserved units stay
    where their pick tasks send the pickers."""
    client = get_client(session, actor, client_id)
    item = sku_by_code(session, client_id, sku)
    if quantity < 1:
        raise InvalidInput("quantity", "must be 1 or more")
    source, _ = find_location(session, from_location, "from_location")
    target, bay = find_location(session, to_location, "to_location")
    check_bay(client, bay, "to_location")
    places = [stock.place_of_location(source.id), stock.place_of_location(target.id)]
    if places[0] == places[1]:
        raise InvalidInput("to_location", "must differ from from_location")
    try:
        stock.move(
            session,
            actor,
            now,
            client_id=client_id,
            sku_id=item.id,
            from_place=places[0],
            to_place=places[1],
            quantity=quantity,
            kind="relocate",
            ref=f"{from_location}>{to_location}",
        )
    except Conflict as exc:
        raise InvalidInput("quantity", "only unreserved stock can move: {reason}", reason=exc) from exc
    record(
        session,
        actor,
        "warehouse.stock.relocate",
        "wh_sku",
        item.id,
        now,
        from_location=from_location,
        to_location=to_location,
        quantity=quantity,
    )
