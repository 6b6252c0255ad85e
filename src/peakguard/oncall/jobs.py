"""The on-call work inside ``peakguard serve`` (and ``peakguard oncall tick``): paging the next
person where a page went unanswered (after ending and starting mutes), feed heartbeats, hand-over messages and coverage-gap
items, in one transaction a round."""

from __future__ import annotations

from datetime import datetime

from peakguard.db import Database
from peakguard.oncall import handover, noise, paging, snooze
from peakguard.plan.service import current_plan


def oncall_job(db: Database, now: datetime) -> None:
    plan = current_plan()
    with db.transaction() as session:
        snooze.tick(session, now, plan)  # mutes first: a muted incident's due page is not sent
        paging.tick(session, now, plan)
        noise.check_feeds(session, now, plan)
        handover.send_handovers(session, now, plan)
        handover.keep_gap_items(session, now, plan)
