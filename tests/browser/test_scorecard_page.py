"""The schedule grid and the scorecard in a real browser (issue 17, S3.7): the week's grid shows
the rotation's people per day, and the scorecard draws its SVG charts from handled incidents
with the outlet's suggested next penalty step, with no Content Security Policy complaint and
without sideways scrolling on a phone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from peakguard.incidents import lifecycle, reporting, reviews
from peakguard.plan.service import current_plan
from tests.browser.test_war_room import DESKTOP, PHONE, log_in, overflow
from tests.factories import ADMIN


def test_the_schedule_grid_and_the_scorecard(browser, server):
    token = server.user("score-leader", "leader", token=True)
    auth = {"Authorization": f"Bearer {token}"}
    ids = []
    for name in ("王芳", "李明"):
        r = httpx.post(server.url + "/api/v1/roster", json={"name": name, "role": "member"}, headers=auth)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    rotation = {
        "name": "组员两班倒", "role": "member", "shifts": ["08:00", "20:00"], "members": ids,
        "starts_on": (today - timedelta(days=1)).isoformat(),
    }  # fmt: skip
    assert httpx.post(server.url + "/api/v1/oncall/rotations", json=rotation, headers=auth).status_code == 201
    t0 = server.clock.now() - timedelta(hours=3)
    with server.db.transaction() as s:  # two handled incidents at outlet FZ-01, one reviewed
        plan = current_plan()
        first = reporting.report(s, ADMIN, t0, kind="backlog", area="FZ-01", count=3, plan=plan).incident.id
        lifecycle.acknowledge(s, ADMIN, t0 + timedelta(minutes=7), first)
        lifecycle.resolve(s, ADMIN, t0 + timedelta(minutes=45), first, "已派送", plan=plan)
        reviews.save_review(s, ADMIN, t0 + timedelta(hours=1), first, root_cause="分拣迟缓", accountable_type="outlet",
                              accountable_name="FZ-01", penalty_step="correction", plan=plan)  # fmt: skip
        second = reporting.report(s, ADMIN, t0, kind="lost", area="XM-02", count=6, plan=plan).incident.id
        lifecycle.acknowledge(s, ADMIN, t0 + timedelta(minutes=3), second)

    page = log_in(browser, server, "score-leader", DESKTOP)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(server.url + "/oncall")
    row = page.locator("table.oncall-grid tr[data-role=member]")
    assert "王芳" in row.inner_text() and "李明" in row.inner_text()
    assert row.locator(".shift.current").count() == 1

    page.goto(server.url + "/scorecard")
    levels = page.locator("#chart-levels svg rect")
    assert levels.count() == 4  # two levels (L2, L3) x to acknowledge and to resolve
    assert levels.first.evaluate("e => e.getBBox().height") > 0
    card = page.locator('#outlet-scorecard tr[data-outlet="FZ-01"]')
    assert "限期整改" in card.inner_text() and card.locator(".next-step").inner_text() == "自查"
    assert page.locator("#times-outlet tr[data-key]").count() == 2  # FZ-01 and XM-02
    assert violations == []

    phone = log_in(browser, server, "score-leader", PHONE)
    phone.goto(server.url + "/scorecard")
    assert phone.locator("#chart-weeks svg").count() == 1
    assert overflow(phone) == 0
