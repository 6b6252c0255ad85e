"""Shop-side detectors (S1.2, S1.5, S1.8) over the last few minutes of a shop's metrics and
orders. These series are small (a row a minute per shop), so plain Python reads them clearly.

- Platform outage (S1.2): in a minute, platform errors reach ``platform_error_spike``, or orders
  are still created but paid orders fall below ``platform_paid_ratio`` of the shop's normal
  paid share (the median of the window's earlier minutes).
- Coupon failure (S1.5): the share of orders with a coupon error reaches ``coupon_error_rate``;
  the affected orders are the ids behind the signal (they go on the compensation register).
- Traffic shortfall versus conversion drop (S1.5): against the plan's hourly curve, visitors
  below ``shortfall_ratio`` of plan is a traffic shortfall; otherwise paid orders per visitor
  below ``shortfall_ratio`` of ``planned_conversion`` is a conversion drop. First decide which,
  as the seed says: only one of the two is signalled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from zoneinfo import ZoneInfo

from peakguard.monitor.signals import Signal
from peakguard.plan.schemas import Plan
from peakguard.plan.service import level_for


@dataclass(frozen=True)
class Minute:
    shop: str
    ts: datetime
    visitors: int
    orders: int
    paid_orders: int
    platform_errors: int


@dataclass(frozen=True)
class OrderRow:
    order_id: str
    shop: str
    ts: datetime
    status: str
    coupon_error: bool


def platform_outage(minutes: Sequence[Minute], plan: Plan) -> list[Signal]:
    p = plan.detection
    out = []
    for shop, rows in _by_shop(minutes).items():
        bad: list[str] = []
        for i, row in enumerate(rows):
            earlier = [r.paid_orders / r.orders for r in rows[:i] if r.orders > 0]
            normal = median(earlier) if earlier else None
            paid_collapse = (
                normal is not None
                and row.orders > 0
                and row.paid_orders / row.orders < p.platform_paid_ratio * normal
            )
            if row.platform_errors >= p.platform_error_spike or paid_collapse:
                bad.append(row.ts.isoformat())
        if bad:
            out.append(_signal("platform_outage", shop, bad, plan))
    return out


def coupon_failure(orders: Sequence[OrderRow], plan: Plan) -> list[Signal]:
    out = []
    for shop in sorted({o.shop for o in orders}):
        created = [o for o in orders if o.shop == shop and o.status == "created"]
        affected = sorted(o.order_id for o in created if o.coupon_error)
        if created and affected and len(affected) / len(created) >= plan.detection.coupon_error_rate:
            out.append(_signal("coupon_failure", shop, affected, plan))
    return out


def sales_shortfall(minutes: Sequence[Minute], plan: Plan) -> list[Signal]:
    """Traffic shortfall or conversion drop per shop over the window, never both."""
    p = plan.detection
    zone = ZoneInfo(plan.timezone)
    out = []
    for shop, rows in _by_shop(minutes).items():
        planned = sum(p.hourly_visitors[r.ts.astimezone(zone).hour] / 60 for r in rows)
        visitors = sum(r.visitors for r in rows)
        paid = sum(r.paid_orders for r in rows)
        stamps = [r.ts.isoformat() for r in rows]
        if planned > 0 and visitors < p.shortfall_ratio * planned:
            out.append(_signal("traffic_shortfall", shop, stamps, plan))
        elif visitors > 0 and paid / visitors < p.shortfall_ratio * p.planned_conversion:
            out.append(_signal("conversion_drop", shop, stamps, plan))
    return out


def _by_shop(minutes: Sequence[Minute]) -> dict[str, list[Minute]]:
    shops: dict[str, list[Minute]] = {}
    for m in sorted(minutes, key=lambda m: (m.shop, m.ts)):
        shops.setdefault(m.shop, []).append(m)
    return shops


def _signal(kind: str, shop: str, ids: list[str], plan: Plan) -> Signal:
    return Signal(
        kind=kind, scope=shop, count=len(ids), level=level_for(plan, kind, len(ids)), ids=tuple(ids)
    )
