"""The war room in a real browser (issue 5): log in, see an incident appear after an event is
posted (HTMX polling, S3.3), acknowledge and resolve it (S3.4), switch language, and every
page at phone (390 px) and desktop (1440 px) width without sideways scrolling."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import PASSWORD, Server

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def log_in(browser, server: Server, username: str, viewport: dict[str, int] = DESKTOP):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_an_incident_appears_is_acknowledged_and_resolved(browser, server):
    """S3.3/S3.4: a scan event posted to the API (a robbed parcel) becomes a Level 1 incident
    through the live detector and shows on an open dashboard within a poll, with its countdown;
    the handler acknowledges and resolves it on the incident page."""
    token = server.user("ops-leader", "leader", token=True)
    page = log_in(browser, server, "ops-leader")
    assert page.url.endswith("/war-room")
    assert page.locator("text=暂无处理中的事件").count() == 1
    event = {
        "event_id": "browser-robbed-1",
        "type": "scan",
        "parcel_id": "P-7001",
        "ts": datetime.now(UTC).isoformat(),
        "status": "exception",
        "area": "FZ-07",
        "site": "福州-仓山网点",
        "exception": "robbed",
    }
    r = httpx.post(server.url + "/api/v1/events", json=[event], headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    row = page.locator("li.incident", has_text="福州-仓山网点")
    row.wait_for(timeout=15_000)  # the detector runs each second, the page polls every 3 s
    assert "快件被抢被盗" in row.inner_text() and "一级（严重）" in row.inner_text()
    incident_id = row.get_attribute("data-id")
    page.wait_for_function(
        f"""() => /^1[12]:[0-5][0-9]:[0-5][0-9]$/.test(
            document.querySelector('li.incident[data-id="{incident_id}"] .countdown').textContent)"""
    )
    row.locator("a").click()
    page.click("#ack")
    assert page.locator(".flash.ok").inner_text() == "已确认接手"
    assert page.locator("#status").inner_text().startswith("已接手")
    page.fill("textarea[name=result]", "已调派两辆车清空积压")
    page.click("#resolve")
    assert page.locator("#status").inner_text().startswith("已处理")
    assert page.locator("#review-pdf").count() == 1
    page.goto(server.url + "/war-room")
    assert page.locator(f'li.incident[data-id="{incident_id}"]').count() == 0
    page.close()


def test_language_switch(browser, server):
    server.user("ops-viewer", "viewer")
    page = log_in(browser, server, "ops-viewer")
    assert page.locator("h2").first.inner_text().startswith("处理中的事件")
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert page.locator("h2").first.inner_text().startswith("Active incidents")
    page.goto(server.url + "/admin/plan")
    assert page.locator("h1").inner_text().startswith("Double 11 emergency plan")
    page.click("button[value=zh_CN]")
    assert page.locator("h1").inner_text().startswith("双十一应急预案")
    page.close()


PAGES = [
    "/login",
    "/war-room",
    "/incidents/{id}",
    "/readiness",
    "/compensation",
    "/admin/plan",
    "/admin/roster",
    "/admin/notifications",
    "/admin/printers",
    "/admin/users",
    "/account",
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_every_page_fits_the_screen(browser, server, viewport):
    name = f"ops-admin-{viewport['width']}"
    token = server.user(name, "admin", token=True)
    r = httpx.post(
        server.url + "/api/v1/incidents",
        json={"kind": "lost", "area": f"XM-{viewport['width']}", "count": 5, "summary": "五件快件丢失"},
        headers={"Authorization": f"Bearer {token}"},
    )
    incident_id = r.json()["id"]
    httpx.post(server.url + "/api/v1/readiness/items/init", headers={"Authorization": f"Bearer {token}"})
    httpx.post(
        server.url + "/api/v1/printing/printers",
        json={"queue": f"pack-line-{viewport['width']}", "name": "打包线 1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    page = log_in(browser, server, name, viewport)
    for path in PAGES:
        page.goto(server.url + path.format(id=incident_id))
        assert page.locator("main").count() == 1
        assert overflow(page) <= 0, f"{path} is {overflow(page)} px too wide at {viewport['width']} px"
    page.close()


@pytest.mark.skipif(
    not os.environ.get("PEAKGUARD_SCREENSHOTS"), reason="set PEAKGUARD_SCREENSHOTS=docs to refresh"
)
def test_dashboard_screenshot(browser, server):
    """Refreshes docs/war-room.png for the README (only when asked)."""
    from tests.browser.seed import seed_war_room

    seed_war_room(server)
    server.user("wall-screen", "viewer")
    page = log_in(browser, server, "wall-screen", {"width": 1280, "height": 1000})
    page.wait_for_timeout(1500)
    out = Path(os.environ["PEAKGUARD_SCREENSHOTS"]) / "war-room.png"
    page.screenshot(path=str(out))
    page.close()


@pytest.mark.skipif(
    not os.environ.get("PEAKGUARD_SCREENSHOTS"), reason="set PEAKGUARD_SCREENSHOTS=docs to refresh"
)
def test_readiness_screenshot(browser, server):
    """Refreshes docs/readiness.png for the README (only when asked)."""
    from peakguard.monitor.live import detection_job
    from peakguard.plan.service import current_plan
    from peakguard.readiness import drills
    from tests.browser.seed import seed_war_room
    from tests.factories import ADMIN

    seed_war_room(server)
    with server.db.transaction() as s:
        drills.start(s, ADMIN, server.clock.now(), current_plan(), "lost")
    detection_job(server.db, server.clock.now())
    server.user("lead-screen", "leader")
    page = log_in(browser, server, "lead-screen", {"width": 1280, "height": 1100})
    page.goto(server.url + "/readiness")
    page.wait_for_timeout(500)
    page.screenshot(path=str(Path(os.environ["PEAKGUARD_SCREENSHOTS"]) / "readiness.png"))
    page.close()
