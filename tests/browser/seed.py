"""A war room with something to show, for the README's screenshots: incidents of every level,
one already past its deadline (S3.3, S3.4), and the small warehouse of the page tests (S2)."""

from __future__ import annotations

from datetime import timedelta

from peakguard.incidents import service as incidents
from peakguard.plan.service import current_plan
from tests.browser.conftest import Server
from tests.conftest import ADMIN
from tests.web_warehouse_setup import build

REPORTS = [
    ("complaint", "杭州-西湖", 1, 45),
    ("backlog", "福州-07", 26, 30),
    ("lost", "厦门-03", 6, 20),
    ("traffic_accident", "G15 泉州段", 1, 10),
    ("fire", "晋江分拨中心", 1, 5),
    ("delay", "上海-浦东", 3, 2),
    ("transit_interrupted", "南昌分拨", 120, 15),
    ("backlog", "福州-02", 12, 8),
    ("lost", "福州-07", 2, 3),
]


def seed_war_room(server: Server) -> None:
    now = server.clock.now()
    with server.db.transaction() as s:
        for kind, area, count, minutes_ago in REPORTS:
            incidents.report(
                s, ADMIN, now - timedelta(minutes=minutes_ago), kind=kind, area=area, count=count
            )
        incidents.tick(s, now)
        build(s, now, current_plan())
