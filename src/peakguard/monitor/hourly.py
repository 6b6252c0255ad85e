"""The shop's day so far per hour (S1.8): paid orders from the per-minute shop metrics, beside
the plan's curve (visitors per hour x planned conversion), so the war room sees at a glance
whether the 00:00, 09:00, 15:00 and 20:00 waves came as planned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.monitor.models import SHOP_EVENTS, MonitorEvent
from peakguard.plan.schemas import Plan


@dataclass(frozen=True)
class Day:
    paid: list[int]
    """Paid orders per local hour from midnight up to the current hour (inclusive)."""
    planned: list[float]
    """The plan's paid orders for all 24 hours, for every shop reporting today."""
    shops: int


def paid_orders_per_hour(session: Session, plan: Plan, now: datetime) -> Day:
    zone = ZoneInfo(plan.timezone)
    local_now = now.astimezone(zone)
    midnight = datetime.combine(local_now.date(), time(0), tzinfo=zone)
    rows = session.execute(
        select(MonitorEvent.ts, MonitorEvent.scope, MonitorEvent.payload).where(
            SHOP_EVENTS, MonitorEvent.type == "shop_metrics", MonitorEvent.ts >= midnight, MonitorEvent.ts <= now
        )
    ).all()
    paid = [0] * (local_now.hour + 1)
    shops = set()
    for ts, shop, payload in rows:
        paid[ts.astimezone(zone).hour] += int(payload.get("paid_orders", 0))
        shops.add(shop)
    p = plan.detection
    planned = [round(v * p.planned_conversion * len(shops), 1) for v in p.hourly_visitors]
    return Day(paid=paid, planned=planned, shops=len(shops))
