"""Leases (S2.1): from 1 square metre, from a start day, open-ended or to an end day, at a daily
rate per square metre. Changing a lease ends it the day before the change and starts a new one,
so the billing of past days never moves. After every lease write the used share of the bays is
measured and, past the plan's threshold, the incident engine hears of a warehouse overflow."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput
from peakguard.incidents import reporting
from peakguard.plan.schemas import Plan
from peakguard.warehouse.clients import get_client
from peakguard.warehouse.models import Bay, Lease
from peakguard.warehouse.scope import client_filter, get_owned, local_day
from peakguard.warehouse.validation import decimal_field


def create_lease(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    *,
    client_id: int,
    area_m2: object,
    daily_rate: object,
    start: date,
    end: date | None = None,
) -> Lease:
    get_client(session, actor, client_id)
    area = decimal_field(area_m2, "area_m2", Decimal(1))
    rate = decimal_field(daily_rate, "daily_rate", Decimal(0))
    if end is not None and end < start:
        raise InvalidInput("end", "must be on or after the start day")
    lease = Lease(client_id=client_id, area_m2=area, daily_rate=rate, start=start, end=end)
    session.add(lease)
    session.flush()
    record(
        session,
        actor,
        "warehouse.lease.create",
        "wh_lease",
        lease.id,
        now,
        client_id=client_id,
        area_m2=area,
        daily_rate=rate,
        start=start,
        end=end,
    )
    check_overflow(session, now, plan)
    return lease


def change_lease(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    lease_id: int,
    *,
    day: date,
    area_m2: object | None = None,
    daily_rate: object | None = None,
) -> Lease:
    """From ``day`` on, the lease has the new area or rate: the old one ends the day before."""
    old = get_owned(session, actor, Lease, lease_id, "lease")
    if day <= old.start:
        raise InvalidInput("day", "must be after the lease's start day")
    if old.end is not None and day > old.end:
        raise Conflict("lease {lease_id} ended on {end}", field="day", lease_id=lease_id, end=old.end)
    area = decimal_field(area_m2, "area_m2", Decimal(1)) if area_m2 is not None else old.area_m2
    rate = decimal_field(daily_rate, "daily_rate", Decimal(0)) if daily_rate is not None else old.daily_rate
    new = Lease(
        client_id=old.client_id, area_m2=area, daily_rate=rate, start=day, end=old.end, replaces_id=old.id
    )
    old.end = day - timedelta(days=1)
    session.add(new)
    session.flush()
    record(
        session,
        actor,
        "warehouse.lease.change",
        "wh_lease",
        new.id,
        now,
        replaces=old.id,
        day=day,
        area_m2=area,
        daily_rate=rate,
    )
    check_overflow(session, now, plan)
    return new


def end_lease(
    session: Session, actor: Actor, now: datetime, plan: Plan, lease_id: int, *, day: date
) -> Lease:
    """The lease's last billed day becomes ``day``."""
    lease = get_owned(session, actor, Lease, lease_id, "lease")
    if day < lease.start:
        raise InvalidInput("day", "must be on or after the lease's start day")
    if lease.end is not None and day > lease.end:
        raise Conflict(
            "lease {lease_id} already ends on {end}", field="day", lease_id=lease_id, end=lease.end
        )
    lease.end = day
    record(session, actor, "warehouse.lease.end", "wh_lease", lease.id, now, day=day)
    check_overflow(session, now, plan)
    return lease


def list_leases(session: Session, actor: Actor, client_id: int | None = None) -> list[Lease]:
    query = select(Lease).order_by(Lease.id)
    scoped = client_filter(actor, client_id)
    if scoped is not None:
        query = query.where(Lease.client_id == scoped)
    return list(session.scalars(query))


def used_percent(session: Session, day: date) -> int | None:
    """Leased area on ``day`` as a whole percentage of all bays (None without bays)."""
    total = session.scalar(select(func.coalesce(func.sum(Bay.area_m2), 0)))
    if not total:
        return None
    used = session.scalar(
        select(func.coalesce(func.sum(Lease.area_m2), 0)).where(
            Lease.start <= day, or_(Lease.end.is_(None), Lease.end >= day)
        )
    )
    return int(Decimal(used or 0) * 100 / Decimal(total))


def check_overflow(session: Session, now: datetime, plan: Plan) -> int | None:
    """Report a ``warehouse_overflow`` incident when used area reaches the plan's threshold."""
    percent = used_percent(session, local_day(now, plan))
    if percent is not None and percent >= plan.warehouse.overflow_percent:
        reporting.report(
            session,
            Actor.system("warehouse"),
            now,
            kind="warehouse_overflow",
            area=plan.warehouse.name,
            count=percent,
            mode="replace",
            source="warehouse",
            summary=f"{percent}% of the bays' area is leased",
            plan=plan,
        )
    return percent
