"""Scoring detection against a simulated day's truth: every injected fault found at its level
or higher, and no Level 2 or higher alarm the truth does not explain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from peakguard.plan.schemas import Plan


@dataclass
class Score:
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return not self.missed and not self.false_alarms


def score(truth: dict[str, Any], alarms: Iterable[tuple[str, str, str]], plan: Plan) -> Score:
    """``alarms`` are (kind, scope, level) of the incidents detection opened."""
    result = Score()
    seen = {(kind, scope): level for kind, scope, level in alarms}
    expected = {(f["kind"], f["scope"]): f["level"] for f in truth["faults"]}
    for (kind, scope), level in expected.items():
        got = seen.get((kind, scope))
        label = f"{kind}@{scope} ({level})"
        if got is not None and plan.levels[got].rank >= plan.levels[level].rank:
            result.found.append(label)
        else:
            result.missed.append(label + (f", got {got}" if got else ""))
    l2 = plan.levels["L2"].rank
    for (kind, scope), level in seen.items():
        if (kind, scope) not in expected and plan.levels[level].rank >= l2:
            result.false_alarms.append(f"{kind}@{scope} ({level})")
    return result
