"""The readiness work inside ``peakguard serve``: timeline reminders (S1.8), overdue checklist
notices, and drill timings, each round in one transaction."""

from __future__ import annotations

from datetime import datetime

from peakguard.db import Database
from peakguard.plan.service import current_plan
from peakguard.readiness import checklist, drills, timeline


def readiness_job(db: Database, now: datetime) -> None:
    plan = current_plan()
    with db.transaction() as session:
        timeline.remind(session, now, plan)
        checklist.notify_overdue(session, now, plan)
        drills.refresh_running(session, now)
