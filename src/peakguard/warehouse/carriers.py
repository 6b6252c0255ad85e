"""Carriers (S2.11) behind one small interface, so a real carrier API can replace the range
adapter without touching packing or hand-off; hand-off makes one manifest per carrier per day
and marks its orders ``handed_over`` (their stock leaves the ledger as ``shipped``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound
from peakguard.export_safety import csv_document
from peakguard.labels import render, zpl
from peakguard.plan.schemas import CarrierRange, Plan
from peakguard.warehouse import stock
from peakguard.warehouse.models import CarrierCounter, Client, Manifest, Order, Package, StockBalance
from peakguard.warehouse.scope import get_owned, local_day


class Carrier(Protocol):
    code: str
    name: str

    def tracking_number(self, session: Session) -> str: ...


class RangeCarrier:
    """Tracking numbers drawn in order from the range the carrier allotted (plan
    ``warehouse.carriers``); the counter row is advanced by a conditional update, so two packers
    never get the same number."""

    def __init__(self, code: str, spec: CarrierRange) -> None:
        self.code = code
        self.name = spec.name
        self.spec = spec

    def tracking_number(self, session: Session) -> str:
        if session.get(CarrierCounter, self.code) is None:
            try:
                with session.begin_nested():
                    session.add(CarrierCounter(carrier=self.code, next_number=self.spec.first))
            except IntegrityError:
                pass  # another packer created it first
        drawn = session.execute(
            update(CarrierCounter)
            .where(CarrierCounter.carrier == self.code, CarrierCounter.next_number <= self.spec.last)
            .values(next_number=CarrierCounter.next_number + 1)
            .returning(CarrierCounter.next_number)
        ).scalar()
        if drawn is None:
            raise Conflict(
                "carrier {code}'s tracking number range is used up", field="carrier", code=self.code
            )
        return f"{self.spec.prefix}{int(drawn) - 1}"


def adapter(plan: Plan, code: str) -> Carrier:
    spec = plan.warehouse.carriers.get(code)
    if spec is None:
        raise InvalidInput("carrier", "must be one of {choices}", choices=", ".join(plan.warehouse.carriers))
    return RangeCarrier(code, spec)


def waybill(session: Session, actor: Actor, plan: Plan, order_id: int, fmt: str = "pdf") -> bytes | str:
    """The 100 x 150 mm e-waybill of a packed order, tracking number as Code128 (S2.9)."""
    order = get_owned(session, actor, Order, order_id, "order")
    package = session.scalar(select(Package).where(Package.order_id == order.id))
    if package is None:
        raise Conflict("order {ref} is not packed yet", field="order_id", ref=order.ref)
    client = session.get(Client, order.client_id)
    name = adapter(plan, package.carrier).name
    lines = [f"{client.name if client else ''} / {order.ref}", f"{package.weight_kg} kg", order.notes[:60]]
    if fmt == "zpl":
        return zpl.waybill(package.tracking_no, name, lines)
    if fmt != "pdf":
        raise InvalidInput("format", "must be pdf or zpl")
    return render.waybill(package.tracking_no, name, lines)


def hand_over(session: Session, actor: Actor, now: datetime, plan: Plan, carrier: str) -> Manifest:
    """Give every packed package of this carrier to its driver: today's manifest lists them
    (the same manifest for every hand-off to this carrier today)."""
    adapter(plan, carrier)
    day = local_day(now, plan)
    packages = list(
        session.scalars(
            select(Package)
            .where(Package.carrier == carrier, Package.manifest_id.is_(None))
            .order_by(Package.id)
            .with_for_update()
        )
    )
    if not packages:
        raise Conflict("no packed parcels waiting for {carrier}", field="carrier", carrier=carrier)
    manifest = session.scalar(select(Manifest).where(Manifest.carrier == carrier, Manifest.day == day))
    if manifest is None:  # one manifest per carrier and day; a later pick-up adds to it
        manifest = Manifest(carrier=carrier, day=day, created_at=now)
        session.add(manifest)
        session.flush()
    for package in packages:
        package.manifest_id = manifest.id
        for bal in session.scalars(
            select(StockBalance).where(
                StockBalance.place == f"out:{package.order_id}", StockBalance.on_hand > 0
            )
        ):
            stock.move(
                session,
                actor,
                now,
                client_id=bal.client_id,
                sku_id=bal.sku_id,
                from_place=bal.place,
                to_place=stock.SINK,
                quantity=bal.on_hand,
                kind="ship",
                ref=package.tracking_no,
            )
    session.execute(
        update(Order).where(Order.id.in_([p.order_id for p in packages])).values(status="handed_over")
    )
    record(
        session,
        actor,
        "warehouse.manifest.create",
        "wh_manifest",
        manifest.id,
        now,
        carrier=carrier,
        day=day,
        parcels=len(packages),
    )
    return manifest


def manifests(session: Session, carrier: str | None = None) -> list[Manifest]:
    query = select(Manifest).order_by(Manifest.day.desc(), Manifest.id.desc())
    if carrier:
        query = query.where(Manifest.carrier == carrier)
    return list(session.scalars(query))


def manifest_packages(session: Session, manifest_id: int) -> tuple[Manifest, list[tuple[Package, Order]]]:
    manifest = session.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound("manifest {manifest_id} not found", manifest_id=manifest_id)
    rows = session.execute(
        select(Package, Order)
        .join(Order, Order.id == Package.order_id)
        .where(Package.manifest_id == manifest_id)
        .order_by(Package.id)
    ).all()
    return manifest, list(rows)


def manifest_csv(session: Session, manifest_id: int) -> str:
    manifest, rows = manifest_packages(session, manifest_id)
    header = ["carrier", "day", "tracking_no", "order", "client_id", "weight_kg"]
    return csv_document(
        [header]
        + [
            [
                manifest.carrier,
                manifest.day,
                package.tracking_no,
                order.ref,
                order.client_id,
                package.weight_kg,
            ]
            for package, order in rows
        ]
    )
