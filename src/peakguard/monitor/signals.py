"""What a detector says: a kind of trouble, where, how much, how serious, and the ids behind
it. The same shape comes out of the offline ``peakguard detect`` and the live job."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Signal:
    kind: str
    scope: str
    """The delivery area (backlog, lost, transit), the site (L1 exceptions) or the shop."""
    count: int
    level: str
    ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ids"] = list(self.ids)
        return out
