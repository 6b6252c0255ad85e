"""One dispatcher round, as ``peakguard serve`` runs it every second and ``peakguard print
dispatch`` runs it by hand: check the printers, settle what CUPS holds, then send what waits.

Each step is its own transaction, and a claim is committed before its job goes to CUPS (see
:mod:`peakguard.printing.service` for why that keeps every job printed exactly once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from peakguard.db import Database
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan
from peakguard.printing import ipp, service
from peakguard.printing.models import Printer, PrintJob


def dispatch(
    db: Database, now: datetime, cups: ipp.CupsClient | None = None, plan: Plan | None = None
) -> service.RoundResult:
    result = service.RoundResult()
    with db.transaction() as session:
        if session.scalar(select(Printer.id).limit(1)) is None:
            return result  # no printers registered: nothing to ask CUPS
    cups = cups or ipp.CupsClient()
    plan = plan or current_plan()
    with db.transaction() as session:
        service.check_printers(session, now, plan, cups, result)
    with db.transaction() as session:
        service.recover_claims(session, now, cups)
        service.follow_sent(session, now, cups, result)
    # A printer that refuses a job sends it back to the queue; the next pass gives it to
    # another printer, so a round ends once nothing is left or no printer is healthy.
    while True:
        with db.transaction() as session:
            claimed = [(job.id, printer.id) for job, printer in service.claim(session, now)]
        if not claimed:
            break
        for job_id, printer_id in claimed:
            with db.transaction() as session:
                job, printer = session.get_one(PrintJob, job_id), session.get_one(Printer, printer_id)
                service.send(session, now, plan, cups, job, printer, result)
    with db.transaction() as session:
        result.waiting = service.by_status(session).get("queued", 0)
    return result


def printing_job(db: Database, now: datetime) -> None:
    """The background job: one round."""
    dispatch(db, now)
