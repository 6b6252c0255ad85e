"""Shops and 3PL clients are told (issue 17) on SQLite and PostgreSQL with the injected clock:
an incident whose parcels or orders are a client's is linked to that client by detection; a
client sees only its own (another client's incident is missing); the handler's update reaches
the client; the level's reminder to post one fires exactly once per interval, across a restart
and two tickers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from peakguard.audit.service import Actor
from peakguard.db import Database
from peakguard.errors import Conflict, InvalidInput, NotFound
from peakguard.incidents import followups, queries, reporting
from peakguard.monitor import service as monitor
from peakguard.monitor.signals import Signal
from peakguard.notify.models import Notification
from peakguard.stakeholders import service as stakeholders
from peakguard.warehouse import clients
from peakguard.warehouse.models import Order, Package
from tests.factories import ADMIN


def shop_with_parcels(s, now, code, tracking: list[str], refs: list[str]) -> int:
    client = clients.create_client(s, ADMIN, now, code=code, name=f"{code} 店")
    for ref in refs:
        s.add(Order(client_id=client.id, ref=ref, carrier="sf", status="new", created_at=now))
    s.flush()
    for i, number in enumerate(tracking):
        order = Order(
            client_id=client.id, ref=f"{code}-packed-{i}", carrier="sf", status="handed_over", created_at=now
        )
        s.add(order)
        s.flush()
        s.add(
            Package(
                order_id=order.id,
                client_id=client.id,
                weight_kg=Decimal("1.0"),
                carrier="sf",
                tracking_no=number,
                packed_at=now,
            )
        )
    s.flush()
    return client.id


def signal(kind, scope, ids, level="L2"):
    return Signal(kind=kind, scope=scope, count=len(ids), level=level, ids=tuple(ids))


def test_detection_links_the_touched_clients_and_each_sees_only_its_own(db, clock, plan):
    t0 = clock.now()
    with db.transaction() as s:
        a = shop_with_parcels(s, t0, "shop-a", ["SF1000000001", "SF1000000002"], [])
        b = shop_with_parcels(s, t0, "shop-b", ["SF1000000003"], ["B-1001"])
    backlog = signal(
        "backlog", "A-04", ["SF1000000001", "SF1000000002", "P-unknown"] + [f"P{i}" for i in range(20)]
    )
    coupons = signal("coupon_failure", "shop-b", ["B-1001"])
    with db.transaction() as s:
        touched = monitor.report(s, t0, plan, [backlog, coupons])
    backlog_id, coupon_id = touched
    with db.transaction() as s:  # matched after the incidents commit (issue 14), not in their way
        assert stakeholders.clients_of(s, backlog_id) == []
    assert followups.run_due(db, t0, plan) == 4  # two incidents: notices and pages, clients
    shop_a = Actor(name="user:shop-a", role="client", client_id=a)
    shop_b = Actor(name="user:shop-b", role="client", client_id=b)
    with db.transaction() as s:
        seen_a = stakeholders.for_client(s, shop_a, a)
        assert [(c.incident.id, c.matched) for c in seen_a] == [(backlog_id, 2)]
        assert [c.incident.id for c in stakeholders.for_client(s, shop_b, b)] == [coupon_id]
        with pytest.raises(NotFound):  # shop-b asking for shop-a's incidents: missing, not forbidden
            stakeholders.for_client(s, shop_b, a)
        assert {c.code for c, _ in stakeholders.clients_of(s, backlog_id)} == {"shop-a"}
        staff = stakeholders.for_client(s, ADMIN, b)
        assert [c.incident.id for c in staff] == [coupon_id]


def test_an_update_reaches_the_client_and_the_reminder_fires_once_per_interval(db, db_url, clock, plan):
    t0 = clock.now()
    with db.transaction() as s:
        a = shop_with_parcels(s, t0, "shop-a", ["SF1000000001"], [])
        iid = reporting.report(
            s, ADMIN, t0, kind="robbery_theft", area="A-01-HUB", plan=plan
        ).incident.id  # L1: 120 min
        with pytest.raises(Conflict):  # touches no client yet
            stakeholders.post_update(s, ADMIN, t0, plan, iid, "we are on it")
    with db.transaction() as s:
        stakeholders.link_touched(s, t0, iid, ["SF1000000001"])
    every = timedelta(minutes=plan.oncall.client_update_minutes["L1"])
    with db.transaction() as s:
        assert stakeholders.tick(s, t0 + every - timedelta(minutes=1), plan) == []
    due = t0 + every
    with db.transaction() as s:
        assert stakeholders.tick(s, due, plan) == [iid]
    restarted = Database(db_url)  # a new process: the clock is in the database
    try:
        with restarted.transaction() as s:
            assert stakeholders.tick(s, due + timedelta(minutes=1), plan) == []
    finally:
        restarted.dispose()
    with db.transaction() as s:
        reminders = s.scalars(select(Notification).where(Notification.event == "client_update_due")).all()
        assert len(reminders) == 1
        assert [e.event for e in queries.get(s, iid).timeline][-1] == "client_update_due"
        stakeholders.post_update(
            s, ADMIN, due + timedelta(minutes=5), plan, iid, "两辆车已改道，预计今晚送达。"
        )
    with db.transaction() as s:  # the update restarted the interval: nothing due at the old time
        assert stakeholders.tick(s, due + every, plan) == []
        assert stakeholders.tick(s, due + every + timedelta(minutes=5), plan) == [iid]
        # down for three intervals: one reminder, not three
        assert stakeholders.tick(s, due + 5 * every, plan) == [iid]
        assert stakeholders.tick(s, due + 5 * every + timedelta(minutes=1), plan) == []
        shop = Actor(name="user:shop-a", role="client", client_id=a)
        (seen,) = stakeholders.for_client(s, shop, a)
        assert [u.text for u in seen.updates] == ["两辆车已改道，预计今晚送达。"]
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        stakeholders.post_update(s, ADMIN, due, plan, iid, "  ")
    assert err.value.field == "text"
