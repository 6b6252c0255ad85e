"""Quick replies to buyers (S1.2 platform outage, S1.4 delayed parcels, S1.5 coupon
compensation): texts live in the plan so a shop words them its own way, in both languages."""

from __future__ import annotations

from dataclasses import dataclass

from peakguard.plan.schemas import Plan


@dataclass(frozen=True)
class Reply:
    key: str
    title: str
    text: str


def all_replies(plan: Plan, language: str) -> list[Reply]:
    return [
        Reply(k, r.title.get(language), r.text.get(language)) for k, r in plan.readiness.quick_replies.items()
    ]


def for_kind(plan: Plan, kind: str, language: str) -> list[Reply]:
    """The replies meant for incidents of ``kind``, for the incident page's copy buttons."""
    return [
        Reply(k, r.title.get(language), r.text.get(language))
        for k, r in plan.readiness.quick_replies.items()
        if kind in r.kinds
    ]
