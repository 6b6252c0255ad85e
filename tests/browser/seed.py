"""A war room with something to show, for the README's screenshots: incidents of every level,
one already past its deadline (S3.3, S3.4), the small warehouse of the page tests (S2), two
shops' minutes since midnight on the plan's curve with a weak afternoon (S1.8), and the demo
shop's readiness checklist (S1.1-S1.7)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from peakguard.demo.readiness import prepare
from peakguard.incidents import deadlines, reporting
from peakguard.monitor import service as monitor
from peakguard.plan.service import current_plan
from tests.browser.conftest import Server
from tests.factories import ADMIN
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
    """Once per test server: the screenshot tests share one."""
    from sqlalchemy import select

    from peakguard.warehouse.models import Client

    with server.db.transaction() as s:
        if s.scalar(select(Client.id).limit(1)) is not None:
            return
    now = server.clock.now()
    with server.db.transaction() as s:
        for kind, area, count, minutes_ago in REPORTS:
            reporting.report(
                s, ADMIN, now - timedelta(minutes=minutes_ago), kind=kind, area=area, count=count
            )
        deadlines.tick(s, now)
        build(s, now, current_plan())
        prepare(s, ADMIN, now, current_plan())
        monitor.ingest(s, ADMIN, now, enumerate(shop_minutes(now), 1), source="screenshot")


def shop_minutes(now: datetime) -> list[dict[str, object]]:
    plan = current_plan()
    zone = ZoneInfo(plan.timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    rng, rows = random.Random(11), []
    for shop in ("shop-a", "shop-b"):
        for minute in range(int((now - midnight).total_seconds() // 60)):
            ts = midnight + timedelta(minutes=minute)
            weak = 0.6 if ts.hour in (13, 14) else 1.0
            visitors = int(plan.detection.hourly_visitors[ts.hour] / 60 * rng.uniform(0.9, 1.1))
            paid = round(visitors * plan.detection.planned_conversion * rng.uniform(0.9, 1.15) * weak)
            rows.append(
                {
                    "event_id": f"{shop}-{minute}",
                    "type": "shop_metrics",
                    "ts": ts.isoformat(),
                    "shop": shop,
                    "visitors": visitors,
                    "orders": paid,
                    "paid_orders": paid,
                    "platform_errors": 0,
                }
            )
    return rows
