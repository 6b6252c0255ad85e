"""The incident view a leader can trust (issue 16; S3.3-S3.7): a closed incident is final (the
service refuses edits, the page offers none); a run of detector count updates is one timeline
line; people and the system are named, not coded; the most serious level comes first, before
breached lower levels; drills are badged and stay out of the live charts; the current hour of
the paid-orders chart is scaled to a whole hour and says so."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peakguard.audit.service import Actor
from peakguard.errors import Conflict
from peakguard.incidents import deadlines, lifecycle, queries, reporting, reviews
from peakguard.incidents.models import Incident
from peakguard.plan.service import current_plan
from peakguard.web import widgets
from tests.factories import ADMIN, login, make_user, report


def _closed(db, clock) -> int:  # type: ignore[no-untyped-def]
    incident_id = report(db, clock, kind="backlog", area="FZ-31", count=25)
    now = clock.now()
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, now, incident_id, "积压已清")
        reviews.save_review(s, ADMIN, now, incident_id, root_cause="分拣线故障")
        reviews.add_measure(
            s,
            ADMIN,
            now,
            incident_id,
            description="备用线",
            owner="赵",
            due_date=now.date() + timedelta(days=3),
        )
        lifecycle.close(s, ADMIN, now, incident_id)
    return incident_id


def test_a_closed_incident_is_final(client, db, clock):
    incident_id = _closed(db, clock)
    now = clock.now()
    with db.transaction() as s:
        step_id = s.get(Incident, incident_id).steps[0].id
        measure_id = s.get(Incident, incident_id).measures[0].id
    edits = [
        lambda s: reviews.set_step(s, ADMIN, now, incident_id, step_id, "done"),
        lambda s: lifecycle.add_note(s, ADMIN, now, incident_id, "补记"),
        lambda s: reviews.save_review(s, ADMIN, now, incident_id, root_cause="改写"),
        lambda s: reviews.add_measure(
            s, ADMIN, now, incident_id, description="x", owner="y", due_date=now.date()
        ),
    ]
    for edit in edits:
        with pytest.raises(Conflict) as err, db.transaction() as s:
            edit(s)
        assert "closed" in err.value.message
    with db.transaction() as s:
        assert s.get(Incident, incident_id).steps[0].state == "pending"
        reviews.complete_measure(s, ADMIN, now, measure_id)  # follow-up stays possible
    login(client, make_user(db, clock, "leader"))
    page = client.get(f"/incidents/{incident_id}").text
    assert f"/incidents/{incident_id}/steps/" not in page and f'/incidents/{incident_id}/review"' not in page
    assert f'/incidents/{incident_id}/measures"' not in page and 'id="closed-note"' in page
    assert "分拣线故障" in page  # the review still reads


def test_count_updates_fold_and_actors_have_names(client, db, clock):
    incident_id = report(db, clock, kind="backlog", area="FZ-07", count=2)
    detector = Actor.system("detector")
    with db.transaction() as s:
        for count in range(3, 20):  # 20 would raise it to L2, a line of its own
            reporting.report(
                s, detector, clock.now(), kind="backlog", area="FZ-07", count=count, mode="replace"
            )
    leader = make_user(db, clock, "leader")
    with db.transaction() as s:
        from peakguard.auth.models import User

        user = s.query(User).filter_by(username=leader).one()
        user.display_name = "李明"
    token = login(client, leader)
    client.post(f"/incidents/{incident_id}/ack", data={"csrf_token": token})
    timeline = client.get(f"/incidents/{incident_id}").text.split('class="timeline"')[1]
    assert "数量 2→19，17 次" in timeline
    assert timeline.count("ev-updated") == 1
    assert "<small>李明</small>" in timeline and "<small>系统检测</small>" in timeline
    assert "user:" not in timeline and "system:" not in timeline


def test_the_most_serious_level_comes_before_breached_lower_ones(db, clock):
    plan = current_plan()
    with db.transaction() as s:
        for area in ("XM-1", "XM-2"):
            reporting.report(s, ADMIN, clock.now() - timedelta(hours=3), kind="lost", area=area)
        deadlines.tick(s, clock.now())
        fire = reporting.report(s, ADMIN, clock.now(), kind="fire", area="晋江").incident.id
    with db.transaction() as s:
        listed = queries.list_incidents(s, status=["open"], plan=plan)
        assert listed[0].id == fire and not listed[0].breached
        assert all(i.breached for i in listed[1:])


def test_drills_are_badged_and_kept_out_of_the_charts(client, db, clock):
    report(db, clock, kind="backlog", area="DRILL-7", count=40)
    report(db, clock, kind="backlog", area="FZ-09", count=25)
    login(client, make_user(db, clock, "leader"))
    live = client.get("/war-room/live").text
    assert live.count('class="drill-tag">演练</span>') == 1
    with db.transaction() as s:
        chart = widgets.parcels_per_area(s, current_plan(), "zh_CN")
    assert chart.labels == ["FZ-09"]


def test_the_current_hour_is_scaled_to_a_whole_hour(db, clock):
    from zoneinfo import ZoneInfo

    from peakguard.monitor import hourly
    from peakguard.monitor import service as monitor
    from tests.browser.seed import shop_minutes

    now = clock.now() + timedelta(hours=2, minutes=20)  # 20 minutes into the hour
    local = now.astimezone(ZoneInfo(current_plan().timezone))
    with db.transaction() as s:
        monitor.ingest(s, ADMIN, now, enumerate(shop_minutes(now), 1), source="test")
        day = hourly.paid_orders_per_hour(s, current_plan(), now)
        chart = widgets.orders_per_hour(s, current_plan(), "zh_CN", now)
    paid = chart.series[1].values
    assert day.paid[-1] > 0 and paid[:-1] == [float(v) for v in day.paid[:-1]]
    assert paid[-1] == round(day.paid[-1] * 60 / 20, 1)
    assert f"{local.hour:02d}:00 这一小时尚未结束" in chart.note


def test_detector_times_read_in_the_plans_time_zone(client, db, clock):
    """A shop-side signal lists the minutes it saw as UTC stamps; the page shows local times."""
    with db.transaction() as s:
        incident_id = reporting.report(
            s,
            ADMIN,
            clock.now(),
            kind="platform_outage",
            area="shop-a",
            source="detector",
            details={"ids": ["2026-11-10T16:05:00+00:00"], "ids_total": 1},
        ).incident.id
    login(client, make_user(db, clock, "leader"))
    head = client.get(f"/incidents/{incident_id}/head").text
    assert "11-11 00:05" in head and "2026-11-10T16:05" not in head


def test_the_chinese_review_reads_in_chinese(db, clock):
    """Issue 16: the zh_CN review said `closed`, `member (...)`, `leader` and raw event codes."""
    from peakguard.incidents import export

    incident_id = _closed(db, clock)
    with db.transaction() as s:
        md = export.markdown(s, s.get(Incident, incident_id), current_plan(), "zh_CN")
    facts, timeline = md.split("## ")[1], md.split("## ")[-1]
    assert "| 状态 | 已关闭 |" in facts and "| 结果报告对象 | 组长 |" in facts and "组员（" in facts
    for code in ("closed", "member", "leader", "opened", "resolved", "review"):
        assert f" {code} " not in timeline and f"| {code} |" not in md, code
    assert "立案" in timeline and "处理完毕" in timeline
