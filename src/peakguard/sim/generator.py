"""Generating a peak day (S1.8 curve) with injected faults (S3.3, S1.2, S1.5).

Normal parcels flow picked_up -> hub_arrived -> hub_departed -> out_for_delivery -> delivered
with gaps well inside the plan's timeouts, so they never trip a detector. Each fault is placed so
that it *forms during the first simulated hour* (the demo shows it within a minute at 60x):
its parcels' last scans lie just short of the plan's timeout before the day starts, and cross
it one by one after midnight, so an incident opens and then rises in level.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from peakguard.plan.schemas import Plan

Event = dict[str, Any]


@dataclass
class Fault:
    kind: str
    scope: str
    level: str
    starts: datetime
    """When the fault can first be detected."""
    ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scope": self.scope,
            "level": self.level,
            "starts": self.starts.isoformat(),
            "ids": self.ids,
        }


@dataclass
class Day:
    events: list[Event]
    faults: list[Fault]
    start: datetime

    def truth(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "faults": [f.as_dict() for f in self.faults]}


def generate(plan: Plan, *, parcels: int, areas: int, seed: int, start: datetime, shops: int = 2) -> Day:
    """A peak day from ``start`` (midnight in the plan's zone), events in time order."""
    rng = random.Random(seed)
    area_names = [f"A-{i:02d}" for i in range(1, max(areas, 4) + 1)]
    shop_names = [f"shop-{chr(ord('a') + i)}" for i in range(max(shops, 2))]
    events: list[Event] = []
    counter = iter(range(10**12))

    def eid() -> str:
        return f"ev{next(counter)}"

    _normal_parcels(events, eid, rng, plan, parcels, area_names, start)
    faults = _parcel_faults(events, eid, rng, plan, area_names, start)
    _shop_day(events, eid, rng, plan, shop_names, start)
    faults += _shop_faults(events, eid, rng, shop_names, start)
    events.sort(key=lambda e: e["ts"])
    for e in events:
        e["ts"] = e["ts"].isoformat()
    return Day(events=events, faults=faults, start=start)


def _weights(plan: Plan) -> list[int]:
    return plan.detection.hourly_visitors


def _scan(eid: Any, pid: str, ts: datetime, status: str, area: str, exception: str | None = None) -> Event:
    return {
        "event_id": eid(),
        "type": "scan",
        "parcel_id": pid,
        "ts": ts,
        "status": status,
        "area": area,
        "site": f"{area}-HUB",
        "exception": exception,
    }


def _normal_parcels(
    events: list[Event], eid: Any, rng: random.Random, plan: Plan, n: int, areas: list[str], start: datetime
) -> None:
    hours = rng.choices(range(24), weights=_weights(plan), k=n)
    end = start + timedelta(days=1)
    timeout = min(plan.detection.transit_timeout_hours, plan.detection.stuck_after_hours)
    for i, hour in enumerate(hours):
        pid = f"P{i:08d}"
        area = areas[rng.randrange(len(areas))]
        t = start + timedelta(hours=hour, seconds=rng.randrange(3600))
        for status in ("picked_up", "hub_arrived", "hub_departed", "out_for_delivery", "delivered"):
            if t >= end:
                break
            events.append(_scan(eid, pid, t, status, area))
            t += timedelta(minutes=rng.randrange(20, int(timeout * 60 * 0.8)))


def _crossing(start: datetime, timeout_hours: float, i: int, n: int) -> datetime:
    """A last-scan time that crosses ``timeout_hours`` of age at minute ~ i/n of the first hour."""
    return start - timedelta(hours=timeout_hours) + timedelta(minutes=2 + 50 * i / n)


def _parcel_faults(
    events: list[Event], eid: Any, rng: random.Random, plan: Plan, areas: list[str], start: datetime
) -> list[Fault]:
    p = plan.detection
    backlog_area, transit_area, lost_area, theft_area = areas[0], areas[1], areas[2], areas[3]
    backlog = Fault("backlog", backlog_area, "L2", start + timedelta(hours=1))
    for i in range(30):
        pid = f"B{i:05d}"
        t = _crossing(start, p.stuck_after_hours, i, 30)
        events.append(_scan(eid, pid, t - timedelta(hours=2), "picked_up", backlog_area))
        events.append(_scan(eid, pid, t, "hub_arrived", backlog_area))
        backlog.ids.append(pid)
    transit = Fault("transit_interrupted", transit_area, "L2", start + timedelta(hours=1))
    for i in range(120):
        pid = f"T{i:05d}"
        t = _crossing(start, p.transit_timeout_hours, i, 120)
        events.append(_scan(eid, pid, t - timedelta(hours=1), "hub_arrived", transit_area))
        events.append(_scan(eid, pid, t, "hub_departed", transit_area))
        transit.ids.append(pid)
    lost = Fault("lost", lost_area, "L2", start + timedelta(hours=1))
    for i in range(6):
        pid = f"L{i:05d}"
        t = start + timedelta(minutes=5 + 8 * i)
        events.append(_scan(eid, pid, t - timedelta(hours=1), "out_for_delivery", lost_area))
        events.append(_scan(eid, pid, t, "exception", lost_area, "lost"))
        lost.ids.append(pid)
    theft = Fault("robbery_theft", f"{theft_area}-HUB", "L1", start + timedelta(minutes=30))
    for i in range(2):
        pid = f"R{i:05d}"
        t = start + timedelta(minutes=20 + i)
        events.append(_scan(eid, pid, t - timedelta(hours=1), "hub_arrived", theft_area))
        events.append(_scan(eid, pid, t, "exception", theft_area, "robbed"))
        theft.ids.append(pid)
    return [backlog, transit, lost, theft]


def _shop_day(
    events: list[Event], eid: Any, rng: random.Random, plan: Plan, shops: list[str], start: datetime
) -> None:
    """Per minute per shop: metrics on the plan's curve, and a few orders (5% never paid)."""
    p = plan.detection
    order_no = iter(range(10**9))
    for shop in shops:
        for minute in range(24 * 60):
            ts = start + timedelta(minutes=minute)
            visitors = int(p.hourly_visitors[minute // 60] / 60 * rng.uniform(0.95, 1.05))
            paid = max(1, round(visitors * p.planned_conversion * 1.2))
            orders = max(paid, round(paid / 0.9))
            events.append(
                {
                    "event_id": eid(),
                    "type": "shop_metrics",
                    "ts": ts,
                    "shop": shop,
                    "visitors": visitors,
                    "orders": orders,
                    "paid_orders": paid,
                    "platform_errors": rng.randrange(3),
                }
            )
            for _ in range(2):
                _order(
                    events,
                    eid,
                    rng,
                    shop,
                    ts + timedelta(seconds=rng.randrange(60)),
                    next(order_no),
                    coupon_error=False,
                    pays=rng.random() > 0.05,
                )


def _order(
    events: list[Event],
    eid: Any,
    rng: random.Random,
    shop: str,
    ts: datetime,
    number: int,
    *,
    coupon_error: bool,
    pays: bool,
) -> str:
    oid = f"{shop}-O{number:07d}"
    amount = str(Decimal(rng.randrange(1990, 99900)) / 100)
    events.append(
        {
            "event_id": eid(),
            "type": "order",
            "order_id": oid,
            "ts": ts,
            "shop": shop,
            "status": "created",
            "amount": amount,
            "coupon_error": coupon_error,
        }
    )
    if pays:
        events.append(
            {
                "event_id": eid(),
                "type": "order",
                "order_id": oid,
                "ts": ts + timedelta(minutes=2),
                "shop": shop,
                "status": "paid",
                "amount": amount,
                "coupon_error": coupon_error,
            }
        )
    return oid


def _shop_faults(
    events: list[Event], eid: Any, rng: random.Random, shops: list[str], start: datetime
) -> list[Fault]:
    """S1.2: shop-a's buyers cannot pay 00:30-00:45. S1.5: shop-b's coupons fail 00:50-01:00."""
    outage = Fault("platform_outage", shops[0], "L2", start + timedelta(minutes=31))
    window = (start + timedelta(minutes=30), start + timedelta(minutes=45))
    for e in events:
        if e["type"] == "shop_metrics" and e["shop"] == shops[0] and window[0] <= e["ts"] < window[1]:
            e["paid_orders"] = e["paid_orders"] // 10
            e["platform_errors"] = 120
            outage.ids.append(e["event_id"])
    coupon = Fault("coupon_failure", shops[1], "L2", start + timedelta(minutes=51))
    for i in range(40):
        ts = start + timedelta(minutes=50, seconds=15 * i)
        coupon.ids.append(
            _order(events, eid, rng, shops[1], ts, 900_000_000 + i, coupon_error=True, pays=False)
        )
    return [outage, coupon]
