"""The on-call week grid in a real browser (issue 17): rotations made through the API show as
shifts per role and day, the shift going on now is marked, a gap is red, a leader covers a
night from the form, and the page fits a phone (390 px) without sideways scrolling."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.browser.test_war_room import DESKTOP, PHONE, log_in, overflow


def test_the_schedule_grid_shows_the_week_and_takes_an_override(browser, server):
    token = server.user("oncall-leader", "leader", token=True)
    auth = {"Authorization": f"Bearer {token}"}
    ids = []
    for name in ("王芳", "李明", "陈静"):
        r = httpx.post(server.url + "/api/v1/roster", json={"name": name, "role": "member"}, headers=auth)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    rotation = {
        "name": "组员两班倒", "role": "member", "shifts": ["08:00", "20:00"], "members": ids[:2],
        "starts_on": (today - timedelta(days=1)).isoformat(), "ends_on": (today + timedelta(days=2)).isoformat(),
    }  # fmt: skip
    assert httpx.post(server.url + "/api/v1/oncall/rotations", json=rotation, headers=auth).status_code == 201

    page = log_in(browser, server, "oncall-leader", DESKTOP)
    page.goto(server.url + "/oncall")
    row = page.locator("table.oncall-grid tr[data-role=member]")
    assert "王芳" in row.inner_text() and "李明" in row.inner_text()
    assert row.locator(".shift.current").count() == 1  # the shift going on now
    assert row.locator(".shift.gap").count() >= 1  # after the rotation ends
    colour = row.locator(".shift.gap").first.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert colour == "rgb(235, 87, 87)"

    start = datetime.combine(today, datetime.min.time()).replace(hour=20)
    page.select_option("#add-override select[name=person_id]", str(ids[2]))
    page.select_option("#add-override select[name=replaces_id]", str(ids[1]))
    page.fill("#add-override input[name=start]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#add-override input[name=end]", (start + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#add-override input[name=reason]", "我替李明值夜班")
    page.click("#add-override button.primary")
    page.wait_for_load_state()
    assert "代班已保存" in page.locator(".flash").inner_text()
    assert "我替李明值夜班" in page.locator("#overrides").inner_text()
    assert "陈静" in page.locator("table.oncall-grid tr[data-role=member]").inner_text()

    phone = log_in(browser, server, "oncall-leader", PHONE)
    phone.goto(server.url + "/oncall")
    assert phone.locator("table.oncall-grid").count() == 1
    assert overflow(phone) == 0
