"""Noise control (issue 17) on SQLite and PostgreSQL with the injected clock: a maintenance
window silences exactly its scope (its area, its kind, its time) and nothing else; a site or a
shop silent for the plan's minutes opens ``feed_silent`` once, and again only after it spoke."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from peakguard.errors import InvalidInput
from peakguard.incidents import lifecycle, queries, reporting
from peakguard.incidents.models import Incident
from peakguard.monitor import service as monitor
from peakguard.monitor.signals import Signal
from peakguard.oncall import noise
from tests.factories import ADMIN
from tests.test_monitor_ingest import scan


def signal(kind, scope, count=25):
    return Signal(kind=kind, scope=scope, count=count, level="L2", ids=tuple(f"P{i}" for i in range(count)))


def active(db) -> set[tuple[str, str]]:
    with db.transaction() as s:
        return {(i.kind, i.area) for i in queries.list_incidents(s, status=["open", "acknowledged"])}


def test_a_window_silences_exactly_its_scope(db, clock, plan):
    t0 = clock.now()
    with db.transaction() as s:
        noise.add_window(
            s, ADMIN, t0, plan, scope="FZ-01", kind="backlog", reason="hub closed for the night",
            start=t0 + timedelta(minutes=10), end=t0 + timedelta(hours=8),
        )  # fmt: skip
        noise.add_window(
            s, ADMIN, t0, plan, scope="XM-02", reason="sorting line rebuilt",
            start=t0, end=t0 + timedelta(hours=8),
        )  # fmt: skip
    wanted = [signal("backlog", "FZ-01"), signal("lost", "FZ-01"), signal("backlog", "FZ-02"), signal("lost", "XM-02")]
    inside = t0 + timedelta(hours=1)
    with db.transaction() as s:
        monitor.report(s, inside, plan, wanted)
    # FZ-01's backlog (its kind, its area, inside its time) and everything at XM-02 are silent
    assert active(db) == {("lost", "FZ-01"), ("backlog", "FZ-02")}
    with db.transaction() as s:  # before the FZ-01 window starts, the same backlog is raised
        assert [x.kind for x in noise.audible(s, t0 + timedelta(minutes=5), wanted)] == ["backlog", "lost", "backlog"]
    with db.transaction() as s:  # once it ends, what is still wrong is reported at last
        monitor.report(s, t0 + timedelta(hours=8), plan, wanted)
    assert active(db) == {("lost", "FZ-01"), ("backlog", "FZ-02"), ("backlog", "FZ-01"), ("lost", "XM-02")}


def test_a_person_still_reports_inside_a_window(db, clock, plan):
    t0 = clock.now()
    with db.transaction() as s:
        noise.add_window(s, ADMIN, t0, plan, scope="FZ-01", reason="closed", start=t0, end=t0 + timedelta(hours=1))
        reporting.report(s, ADMIN, t0, kind="fire", area="FZ-01", plan=plan)
    assert active(db) == {("fire", "FZ-01")}


def test_window_input_errors_name_the_field(db, clock, plan):
    t0 = clock.now()
    good = {"scope": "FZ-01", "reason": "closed", "start": t0, "end": t0 + timedelta(hours=1)}
    for change, field in [
        ({"scope": " "}, "scope"),
        ({"kind": "meteor"}, "kind"),
        ({"end": t0}, "end"),
        ({"end": t0 + timedelta(days=40)}, "end"),
        ({"reason": ""}, "reason"),
    ]:
        with pytest.raises(InvalidInput) as err, db.transaction() as s:
            noise.add_window(s, ADMIN, t0, plan, **(good | change))
        assert err.value.field == field
    with db.transaction() as s:
        assert noise.list_windows(s, t0) == []


def ingest(db, clock, rows):
    with db.transaction() as s:
        monitor.ingest(s, ADMIN, clock.now(), enumerate(rows, start=1), "test")


def check(db, at, plan):
    with db.transaction() as s:
        return noise.check_feeds(s, at, plan)


def test_a_silent_site_opens_feed_silent_once_and_again_after_it_spoke(db, clock, plan):
    t0 = clock.now()
    ingest(db, clock, [scan(1, "P1", t0), scan(2, "P2", t0, site="XM-HUB", area="XM-01")])
    assert check(db, t0 + timedelta(minutes=1), plan) == []
    ingest(db, clock, [scan(3, "P3", t0 + timedelta(minutes=10), site="XM-HUB", area="XM-01")])
    opened = check(db, t0 + timedelta(minutes=15), plan)  # FZ-HUB silent 15 min, XM-HUB only 5
    assert len(opened) == 1
    assert check(db, t0 + timedelta(minutes=16), plan) == []  # still silent: nothing new
    assert len(check(db, t0 + timedelta(minutes=25), plan)) == 1  # now XM-HUB, 15 min after its last
    assert check(db, t0 + timedelta(minutes=120), plan) == []
    with db.transaction() as s:
        found = s.scalars(
            select(Incident).where(Incident.kind == "feed_silent", Incident.area == "FZ-HUB")
        ).all()
        assert [(i.area, i.count, i.source) for i in found] == [("FZ-HUB", 1, "heartbeat")]
        assert [e.event for e in found[0].timeline] == ["opened"]
        lifecycle.resolve(s, ADMIN, t0 + timedelta(hours=2), found[0].id, "scanner cable replaced")
    ingest(db, clock, [scan(4, "P4", t0 + timedelta(hours=3))])  # FZ-HUB speaks again
    assert check(db, t0 + timedelta(hours=3, minutes=1), plan) == []
    assert len(check(db, t0 + timedelta(hours=3, minutes=15), plan)) == 1  # and falls silent again
    with db.transaction() as s:
        assert len(s.scalars(select(Incident).where(Incident.kind == "feed_silent", Incident.area == "FZ-HUB")).all()) == 2


def test_a_silent_shop_feed_and_a_planned_closure(db, clock, plan):
    t0 = clock.now()
    order = {"event_id": "o1", "type": "order", "order_id": "O1", "shop": "旗舰店", "ts": t0.isoformat(),
             "status": "created", "amount": "99.00"}  # fmt: skip
    ingest(db, clock, [order, scan(1, "P1", t0)])
    check(db, t0, plan)
    with db.transaction() as s:
        noise.add_window(s, ADMIN, t0, plan, scope="FZ-HUB", reason="hub closed 00:00-06:00", start=t0, end=t0 + timedelta(hours=6))
    check(db, t0 + timedelta(minutes=20), plan)
    assert active(db) == {("feed_silent", "旗舰店")}  # the closed hub raises nothing
    check(db, t0 + timedelta(hours=6), plan)  # the window is over and the hub is still silent
    assert active(db) == {("feed_silent", "旗舰店"), ("feed_silent", "FZ-HUB")}


def test_windows_and_feeds_over_the_api(client, db, clock, plan, headers_for):
    leader, member = headers_for("leader"), headers_for("member")
    body = {"scope": "FZ-HUB", "start": "2026-11-11T00:00:00+08:00", "end": "2026-11-11T06:00:00+08:00",
            "reason": "分拨中心夜间停运"}  # fmt: skip
    assert client.post("/api/v1/oncall/maintenance", json=body, headers=member).status_code == 403
    bad = client.post("/api/v1/oncall/maintenance", json=body | {"kind": "meteor"}, headers=leader)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "kind"
    made = client.post("/api/v1/oncall/maintenance", json=body, headers=leader)
    assert made.status_code == 201 and made.json()["kind"] is None
    listed = client.get("/api/v1/oncall/maintenance", headers=member).json()
    assert [w["reason"] for w in listed] == ["分拨中心夜间停运"]
    ended = client.post(f"/api/v1/oncall/maintenance/{made.json()['id']}/end", headers=leader)
    assert ended.json()["end_at"] == ended.json()["start_at"]  # it began at the clock's 00:00 and ends now
    assert client.get("/api/v1/oncall/maintenance", headers=member).json() == []
    ingest(db, clock, [scan(1, "P1", clock.now())])
    check(db, clock.now(), plan)
    feeds = client.get("/api/v1/oncall/feeds", headers=member).json()
    assert [(f["key"], f["alerted_at"]) for f in feeds] == [("site:FZ-HUB", None)]
