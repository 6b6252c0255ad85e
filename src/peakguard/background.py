"""Periodic jobs that ``peakguard serve`` runs inside its process (embedded deployment):
detection, the deadline ticker, notification delivery, the print queue, and whatever other domains register. Each job is a plain function of the database and the time, so the same work runs
one-shot from the CLI (``peakguard tick --at``) and in tests with a frozen clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from peakguard.clock import Clock
from peakguard.db import Database

log = logging.getLogger(__name__)

Job = Callable[[Database, datetime], object]
RoundObserver = Callable[[str, float, bool], None]
"""Told each job's name, its round's seconds and whether it failed (the app's metrics)."""


def jobs() -> list[tuple[str, Job]]:
    """The jobs in the order they run each round."""
    from peakguard.incidents.deadlines import tick_job
    from peakguard.incidents.followups import followups_job
    from peakguard.monitor.live import detection_job
    from peakguard.notify.delivery import delivery_job
    from peakguard.oncall.jobs import oncall_job
    from peakguard.printing.dispatch import printing_job
    from peakguard.readiness.jobs import readiness_job
    from peakguard.stakeholders.service import stakeholders_job

    return [
        ("detection", detection_job),
        ("followups", followups_job),
        ("deadlines", tick_job),
        ("oncall", oncall_job),
        ("stakeholders", stakeholders_job),
        ("readiness", readiness_job),
        ("notifications", delivery_job),
        ("printing", printing_job),
    ]


def run_once(db: Database, now: datetime, observe: RoundObserver | None = None) -> None:
    for name, job in jobs():
        started, failed = time.perf_counter(), False
        try:
            job(db, now)
        except Exception:  # one failing job must not stop the others or the server
            failed = True
            log.exception("background job %s failed", name)
        if observe is not None:
            observe(name, time.perf_counter() - started, failed)


async def run_forever(db: Database, clock: Clock, interval: float, observe: RoundObserver | None = None) -> None:
    while True:
        await run_in_threadpool(run_once, db, clock.now(), observe)
        await asyncio.sleep(interval)
