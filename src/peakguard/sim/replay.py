"""Streaming a simulated day into a running server, paced by the events' own timestamps.

The server must run on the same simulated clock (``PEAKGUARD_CLOCK_START`` = the day's start,
``PEAKGUARD_CLOCK_SPEED`` = the replay's speed): detection judges ages against the server's
``now``, so the two clocks have to agree. ``peakguard demo`` shares one clock object with its
in-process server; the CLI prints the settings to use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from peakguard.clock import Clock, parse_iso

BATCH = 1000


@dataclass
class ReplayStats:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


def replay(
    events: Sequence[dict[str, Any]],
    url: str,
    token: str,
    clock: Clock,
    *,
    on_progress: Callable[[int, datetime], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ReplayStats:
    """Post each event once the clock has reached its timestamp, in batches; return the totals."""
    stats = ReplayStats()
    stamps = [parse_iso(str(e["ts"]), "ts") for e in events]
    headers = {"Authorization": f"Bearer {token}"}
    i = 0
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        while i < len(events) and not should_stop():
            now = clock.now()
            j = i
            while j < len(events) and stamps[j] <= now and j - i < BATCH:
                j += 1
            if j > i:
                response = client.post("/api/v1/events", json=list(events[i:j]))
                response.raise_for_status()
                body = response.json()
                stats.sent += j - i
                stats.accepted += body["accepted"]
                stats.duplicates += body["duplicates"]
                stats.rejected += len(body["rejected"])
                i = j
                if on_progress:
                    on_progress(stats.sent, now)
                continue
            time.sleep(0.1)
    return stats
