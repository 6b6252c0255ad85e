"""Detection straight from an event file, with no server and no database (``peakguard detect``):
the same detectors as the live job, fed from the file instead of the checkpoint tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from peakguard.monitor import shop
from peakguard.monitor.events import OrderEvent, Rejected, ScanEvent, ShopMetricsEvent, parse_rows, read_file
from peakguard.monitor.parcels import parcel_signals
from peakguard.monitor.signals import Signal
from peakguard.plan.schemas import Plan


def detect_file(path: Path, plan: Plan, as_of: datetime | None = None) -> tuple[list[Signal], list[Rejected]]:
    """Signals at ``as_of`` (default: the file's latest event) and the rows that were refused."""
    scans: list[ScanEvent] = []
    orders: list[OrderEvent] = []
    minutes: list[ShopMetricsEvent] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for item in parse_rows(read_file(path)):
        if isinstance(item, Rejected):
            rejected.append(item)
        elif item.event_id in seen:
            continue
        elif isinstance(item, ScanEvent):
            scans.append(item)
        elif isinstance(item, OrderEvent):
            orders.append(item)
        else:
            minutes.append(item)
        if not isinstance(item, Rejected):
            seen.add(item.event_id)
    stamps = [e.ts for e in (*scans, *orders, *minutes)]
    if not stamps:
        return [], rejected
    at = as_of or max(stamps)
    scans = [s for s in scans if s.ts <= at]
    rows = [(s.parcel_id, s.ts, s.status, s.area, s.site, s.exception) for s in scans]
    since = at - timedelta(minutes=plan.detection.window_minutes)
    window = [m for m in minutes if since < m.ts <= at]
    recent = [o for o in orders if since < o.ts <= at]
    shop_minutes = [
        shop.Minute(m.shop, m.ts, m.visitors, m.orders, m.paid_orders, m.platform_errors) for m in window
    ]
    order_rows = [shop.OrderRow(o.order_id, o.shop, o.ts, o.status, o.coupon_error) for o in recent]
    signals = (
        parcel_signals(rows, at, plan)
        + shop.platform_outage(shop_minutes, plan)
        + shop.coupon_failure(order_rows, plan)
        + shop.sales_shortfall(shop_minutes, plan)
    )
    return signals, rejected
