"""Faults to rehearse (drills): each scenario builds the events that trip one detector at once,
at ``now``, with the simulator's own event shapes.

Every drill gets a scope of its own (``DRILL-<n>``) so its incident never merges with a real
one of the same kind, and is told apart on the war room at a glance. Counts come from the plan:
a count-graded kind is injected at its top threshold, so the drill opens at the level the real
thing would reach.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from peakguard.plan.schemas import Plan
from peakguard.sim.generator import Event, _order, _scan

Builder = Callable[[Plan, datetime, str], list[Event]]


@dataclass(frozen=True)
class Scenario:
    kind: str
    """The incident kind the drill should open."""
    build: Builder
    site: bool = False
    """The incident's scope is the site (``<scope>-HUB``), as for Level 1 exceptions."""

    def scope(self, tag: str) -> str:
        return f"{tag}-HUB" if self.site else tag


def _ids(tag: str) -> Callable[[], str]:
    numbers = count(1)
    return lambda: f"{tag}-{next(numbers)}"


def _top_count(plan: Plan, kind: str) -> int:
    thresholds = plan.kinds[kind].thresholds
    return thresholds[-1].min_count if thresholds else 1


def _backlog(plan: Plan, now: datetime, tag: str) -> list[Event]:
    eid, old = _ids(tag), now - timedelta(hours=plan.detection.stuck_after_hours, minutes=1)
    return [_scan(eid, f"{tag}-P{i}", old, "hub_arrived", tag) for i in range(_top_count(plan, "backlog"))]


def _transit(plan: Plan, now: datetime, tag: str) -> list[Event]:
    eid, old = _ids(tag), now - timedelta(hours=plan.detection.transit_timeout_hours, minutes=1)
    return [
        _scan(eid, f"{tag}-P{i}", old, "hub_departed", tag)
        for i in range(_top_count(plan, "transit_interrupted"))
    ]


def _lost(plan: Plan, now: datetime, tag: str) -> list[Event]:
    eid = _ids(tag)
    return [
        _scan(eid, f"{tag}-P{i}", now - timedelta(seconds=1), "exception", tag, "lost")
        for i in range(_top_count(plan, "lost"))
    ]


def _theft(plan: Plan, now: datetime, tag: str) -> list[Event]:
    return [_scan(_ids(tag), f"{tag}-P0", now - timedelta(seconds=1), "exception", tag, "robbed")]


def _platform_outage(plan: Plan, now: datetime, tag: str) -> list[Event]:
    """One minute at the plan's traffic with a spike of platform errors (S1.2)."""
    p = plan.detection
    ts = now - timedelta(seconds=1)
    visitors = max(1, p.hourly_visitors[ts.astimezone(ZoneInfo(plan.timezone)).hour] // 60)
    paid = max(1, round(visitors * p.planned_conversion * 1.2))
    return [
        {
            "event_id": f"{tag}-1",
            "type": "shop_metrics",
            "ts": ts,
            "shop": tag,
            "visitors": visitors,
            "orders": paid,
            "paid_orders": paid,
            "platform_errors": p.platform_error_spike,
        }
    ]


def _coupon_failure(plan: Plan, now: datetime, tag: str) -> list[Event]:
    """Ten orders created with a coupon error (S1.5); each lands on the compensation register."""
    events: list[Event] = []
    eid, rng = _ids(tag), random.Random(tag)
    for i in range(10):
        _order(events, eid, rng, tag, now - timedelta(seconds=1), i, coupon_error=True, pays=False)
    return events


SCENARIOS: dict[str, Scenario] = {
    "backlog": Scenario("backlog", _backlog),
    "transit_interrupted": Scenario("transit_interrupted", _transit),
    "lost": Scenario("lost", _lost),
    "theft": Scenario("robbery_theft", _theft, site=True),
    "platform_outage": Scenario("platform_outage", _platform_outage),
    "coupon_failure": Scenario("coupon_failure", _coupon_failure),
}


def build(name: str, plan: Plan, now: datetime, tag: str) -> list[Event]:
    """The scenario's events with ISO timestamps, ready for ingest."""
    events = SCENARIOS[name].build(plan, now, tag)
    for event in events:
        event["ts"] = event["ts"].isoformat()
    return events
