"""Leases, billing and the overflow signal (S2.1): pro rata by day across lease changes, money
in Decimal, one invoice per client and month, and a ``warehouse_overflow`` incident when the
leased share of the bays reaches the plan's threshold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.errors import Conflict, InvalidInput
from peakguard.incidents.models import Incident
from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing, clients, leases
from tests.factories import ADMIN, setup_warehouse

DEC_1 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_lease_change_and_end_bill_each_day_once(db: Database, clock: FrozenClock, plan: Plan) -> None:
    """S2.1: 10 m2 from 5 Nov, 25 m2 from 21 Nov at a new rate, ended 27 Nov: 16 + 7 days."""
    cid, _ = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        first = leases.create_lease(
            s, ADMIN, now, plan, client_id=cid, area_m2="10", daily_rate="1.2345", start=date(2026, 11, 5)
        )
        second = leases.change_lease(
            s, ADMIN, now, plan, first.id, day=date(2026, 11, 21), area_m2="25", daily_rate="1.10"
        )
        leases.end_lease(s, ADMIN, now, plan, second.id, day=date(2026, 11, 27))
        assert first.end == date(2026, 11, 20)
    with db.transaction() as s:
        lines = billing.compute_lines(s, cid, "2026-11")
        assert [(ln.quantity, ln.amount) for ln in lines] == [
            (Decimal("160"), Decimal("197.52")),  # 10 m2 x 16 days x 1.2345, rounded half up
            (Decimal("175"), Decimal("192.50")),  # 25 m2 x 7 days x 1.10
        ]
        assert all(isinstance(ln.amount, Decimal) for ln in lines)
        assert billing.compute_lines(s, cid, "2026-12") == []
        invoice = billing.issue_invoice(s, ADMIN, DEC_1, plan, client_id=cid, month="2026-11")
        assert invoice.total == Decimal("390.02")
    with pytest.raises(Conflict), db.transaction() as s:
        billing.issue_invoice(s, ADMIN, DEC_1, plan, client_id=cid, month="2026-11")


def test_open_ended_lease_bills_whole_months(db: Database, clock: FrozenClock, plan: Plan) -> None:
    """S2.1: an open-ended lease bills every day of each month from its start."""
    cid, _ = setup_warehouse(db, clock, plan)
    with db.transaction() as s:
        leases.create_lease(
            s, ADMIN, clock.now(), plan, client_id=cid, area_m2="1", daily_rate="3", start=date(2026, 11, 30)
        )
        assert [ln.quantity for ln in billing.compute_lines(s, cid, "2026-11")] == [Decimal("1")]
        assert [ln.amount for ln in billing.compute_lines(s, cid, "2027-02")] == [Decimal("84.00")]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"area_m2": "0"}, "area_m2"),
        ({"area_m2": "0.5"}, "area_m2"),
        ({"area_m2": "abc"}, "area_m2"),
        ({"daily_rate": "-1"}, "daily_rate"),
        ({"end": date(2026, 11, 1)}, "end"),
    ],
)
def test_bad_leases_are_refused(
    db: Database, clock: FrozenClock, plan: Plan, kwargs: dict[str, object], field: str
) -> None:
    cid, _ = setup_warehouse(db, clock, plan)
    args: dict[str, object] = {"area_m2": "5", "daily_rate": "2", "start": date(2026, 11, 11)} | kwargs
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        leases.create_lease(s, ADMIN, clock.now(), plan, client_id=cid, **args)  # type: ignore[arg-type]
    assert err.value.field == field
    with db.transaction() as s:
        assert leases.list_leases(s, ADMIN) == []


def test_invoice_month_must_have_started(db: Database, clock: FrozenClock, plan: Plan) -> None:
    cid, _ = setup_warehouse(db, clock, plan)
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        billing.issue_invoice(s, ADMIN, clock.now(), plan, client_id=cid, month="2026-12")
    assert err.value.field == "month"
    with pytest.raises(InvalidInput), db.transaction() as s:
        billing.issue_invoice(s, ADMIN, clock.now(), plan, client_id=cid, month="November")


def test_overflow_opens_and_updates_an_incident(db: Database, clock: FrozenClock, plan: Plan) -> None:
    """S2.1 with S3.3: bays total 140 m2; leasing 126 m2 (90%) opens a warehouse_overflow
    incident for the warehouse; more leasing updates its count instead of opening another."""
    cid, _ = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        other = clients.create_client(s, ADMIN, now, code="shop-b", name="B")
        leases.create_lease(
            s, ADMIN, now, plan, client_id=cid, area_m2="100", daily_rate="1", start=now.date()
        )
        assert s.scalars(select(Incident)).all() == []
        assert leases.check_overflow(s, now, plan) == 71
    with db.transaction() as s:
        leases.create_lease(
            s, ADMIN, now, plan, client_id=other.id, area_m2="26", daily_rate="1", start=date(2026, 11, 11)
        )
        incident = s.scalars(select(Incident)).one()
        assert (incident.kind, incident.area, incident.count) == (
            "warehouse_overflow",
            plan.warehouse.name,
            90,
        )
    later = now + timedelta(hours=1)
    with db.transaction() as s:
        leases.create_lease(
            s, ADMIN, later, plan, client_id=other.id, area_m2="7", daily_rate="1", start=date(2026, 11, 11)
        )
        assert [i.count for i in s.scalars(select(Incident))] == [95]
