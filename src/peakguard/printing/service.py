"""The print queue over CUPS (S1.6: several printers ready, so a dead one costs no labels).

A document becomes a :class:`PrintJob` in the database first; the dispatcher then hands it to
the least-loaded healthy printer and follows it until CUPS says it completed. Exactly once is
kept by three rules:

- a job is claimed (``sending``, with its attempt number) and committed *before* it goes to
  CUPS, under a CUPS job name that carries the attempt, so if the answer is lost (a crash between
  the submission and the commit) the next round finds the job by that name instead of sending it
  again;
- a job is taken back from a printer only after CUPS agreed to cancel it; if CUPS says it cannot
  (the job finished meanwhile), the job's real end state decides;
- a job is ``printed`` only when CUPS reports it completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound, Word
from peakguard.incidents import reporting
from peakguard.plan.schemas import Plan
from peakguard.printing import ipp
from peakguard.printing.models import PrintAttempt, Printer, PrintJob

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
STALE_CLAIM = timedelta(seconds=60)
"""A claim older than this with no CUPS job id was cut off mid-submission (a crash)."""
_QUEUE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@")


# --- printers -------------------------------------------------------------------------------


def add_printer(
    session: Session,
    actor: Actor,
    now: datetime,
    queue: str,
    name: str = "",
    cups: ipp.CupsClient | None = None,
) -> Printer:
    """Register a CUPS queue that CUPS has (a typo would otherwise sit "unchecked" and take
    jobs that never print); its health is checked on the dispatcher's next round."""
    queue = (queue or "").strip()
    if not queue or len(queue) > 127 or not set(queue) <= _QUEUE_NAME_CHARS:
        raise InvalidInput("queue", "a CUPS queue name: letters, digits, '_', '-', '.', '@'")
    if session.scalar(select(Printer.id).where(Printer.queue == queue)) is not None:
        raise Conflict("printer {queue} is already registered", field="queue", queue=queue)
    try:
        known = (cups or ipp.CupsClient()).printer(queue)
    except ipp.IppError as exc:
        raise Conflict("CUPS cannot be asked about this queue: {detail}", field="queue", detail=exc) from exc
    if known is None:
        raise InvalidInput("queue", "CUPS has no such queue (lpstat -v lists them)")
    printer = Printer(queue=queue, name=(name or queue).strip()[:120], enabled=True, healthy=False)
    session.add(printer)
    session.flush()
    record(session, actor, "printer.add", "printer", printer.id, at=now, queue=queue)
    return printer


def ready_printers(session: Session) -> tuple[int, int]:
    """(printers switched on, of which CUPS last found working): whether a queued job will
    print soon, to tell the person pressing "print" plainly when it will not."""
    rows = session.execute(select(Printer.healthy).where(Printer.enabled.is_(True))).scalars().all()
    return len(rows), sum(1 for healthy in rows if healthy)


def get_printer(session: Session, printer_id: int) -> Printer:
    printer = session.get(Printer, printer_id)
    if printer is None:
        raise NotFound("no printer {printer_id}", field="printer_id", printer_id=printer_id)
    return printer


def list_printers(session: Session) -> list[Printer]:
    return list(session.scalars(select(Printer).order_by(Printer.id)))


def set_enabled(session: Session, actor: Actor, now: datetime, printer_id: int, enabled: bool) -> Printer:
    """The operator's switch. A disabled printer gets no new jobs, and its unprinted ones move to
    another printer on the next round."""
    printer = get_printer(session, printer_id)
    printer.enabled = enabled
    record(session, actor, "printer.enable" if enabled else "printer.disable", "printer", printer.id, at=now)
    return printer


# --- jobs -----------------------------------------------------------------------------------


def submit(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    document: str,
    title: str,
    data: bytes,
    content_type: str = "application/pdf",
    reprint: bool = False,
) -> tuple[PrintJob, bool]:
    """Queue a document; ``(job, created)``. Asking again for a document that is queued or
    printed answers that job (a double click prints one label); ``reprint`` makes a new one."""
    if not data:
        raise InvalidInput("data", "the document is empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput("data", "at most {megabytes} MB", megabytes=MAX_DOCUMENT_BYTES // (1024 * 1024))
    if content_type == "application/pdf" and not data.startswith(b"%PDF"):
        raise InvalidInput("data", "not a PDF file")
    earlier = None if reprint else existing(session, document)
    if earlier is not None:
        return earlier, False
    job = PrintJob(
        created_at=now,
        created_by=actor.name,
        document=document[:120],
        title=title[:200],
        content_type=content_type,
        data=data,
        status="queued",
        attempt=0,
    )
    session.add(job)
    session.flush()
    record(session, actor, "print.submit", "print_job", job.id, at=now, document=document)
    return job, True


def existing(session: Session, document: str) -> PrintJob | None:
    """The latest job for this document that is not cancelled."""
    return session.scalar(
        select(PrintJob)
        .where(PrintJob.document == document, PrintJob.status != "cancelled")
        .order_by(PrintJob.id.desc())
        .limit(1)
    )


def get_job(session: Session, job_id: int) -> PrintJob:
    job = session.get(PrintJob, job_id)
    if job is None:
        raise NotFound("no print job {job_id}", field="job_id", job_id=job_id)
    return job


def list_jobs(session: Session, status: str | None = None, limit: int = 200) -> list[PrintJob]:
    query = select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)
    if status:
        query = query.where(PrintJob.status == status)
    return list(session.scalars(query))


def attempts_of(session: Session, job_id: int) -> list[PrintAttempt]:
    return list(
        session.scalars(select(PrintAttempt).where(PrintAttempt.job_id == job_id).order_by(PrintAttempt.id))
    )


def cancel_job(session: Session, actor: Actor, now: datetime, job_id: int, cups: ipp.CupsClient) -> PrintJob:
    """Withdraw a job that has not printed (a label no longer wanted)."""
    job = get_job(session, job_id)
    if job.status in ("printed", "cancelled"):
        raise Conflict(
            "print job {job_id} is already {status}", field="job_id", job_id=job_id, status=Word(job.status)
        )
    if job.status == "sending":
        raise Conflict(
            "print job {job_id} is being sent; try again in a moment", field="job_id", job_id=job_id
        )
    if job.status == "sent":
        if job.cups_job_id is not None and not cups.cancel(job.cups_job_id):
            raise Conflict(
                "print job {job_id} has already left the printer's queue", field="job_id", job_id=job_id
            )
        _settle_attempt(session, job, "cancelled", None)  # the attempt trail ends where the job did
    job.status = "cancelled"
    record(session, actor, "print.cancel", "print_job", job.id, at=now)
    return job


def job_name(job: PrintJob) -> str:
    """The CUPS job name: unique per attempt, so a submission whose answer was lost is found."""
    return f"peakguard-{job.id}-{job.attempt}"


# --- the dispatcher -------------------------------------------------------------------------


@dataclass
class RoundResult:
    """What one dispatcher round did (shown by ``peakguard print dispatch``)."""

    sent: int = 0
    printed: int = 0
    moved: int = 0
    failed_printers: list[str] = field(default_factory=list)
    waiting: int = 0
    """Jobs still queued at the end of the round (no healthy printer)."""


def check_printers(
    session: Session, now: datetime, plan: Plan, cups: ipp.CupsClient, result: RoundResult
) -> None:
    """Ask CUPS about every printer; a printer that stops working opens (or adds to) a
    ``printer_failure`` incident, once per failure (S1.6)."""
    for printer in list_printers(session):
        try:
            info = cups.printer(printer.queue)
        except ipp.IppError as exc:
            _mark(session, now, plan, printer, None, str(exc), result)
            continue
        if info is None:
            _mark(session, now, plan, printer, None, "CUPS has no such queue", result)
        elif not info["accepting"]:
            _mark(session, now, plan, printer, info, "not accepting jobs", result)
        elif info["state"] == ipp.PRINTER_STOPPED:
            _mark(session, now, plan, printer, info, info["message"] or "stopped", result)
        else:
            _mark(session, now, plan, printer, info, None, result)


def _mark(
    session: Session,
    now: datetime,
    plan: Plan,
    printer: Printer,
    info: dict[str, Any] | None,
    failure: str | None,
    result: RoundResult,
) -> None:
    printer.checked_at = now
    printer.queued = int(info["queued"]) if info else 0
    printer.state_message = (failure or (info["message"] if info else ""))[:300]
    printer.healthy = failure is None
    if failure is None:
        printer.failed_at = None
        return
    if printer.failed_at is not None or not printer.enabled:
        return  # already reported, or switched off on purpose: not a failure
    printer.failed_at = now
    result.failed_printers.append(printer.queue)
    reporting.report(
        session,
        Actor.system("printing"),
        now,
        kind="printer_failure",
        area=printer.name,
        summary=f"{printer.name} ({printer.queue}): {failure}",
        source="printing",
        details={"queue": printer.queue, "reason": failure},
        plan=plan,
    )


def follow_sent(session: Session, now: datetime, cups: ipp.CupsClient, result: RoundResult) -> None:
    """Settle jobs CUPS holds: completed ones are printed; aborted ones, and unprinted ones on a
    printer that failed or was switched off, go back to the queue for another printer."""
    printers = {p.id: p for p in list_printers(session)}
    for job in session.scalars(select(PrintJob).where(PrintJob.status == "sent").order_by(PrintJob.id)):
        try:
            _follow(session, now, cups, job, printers, result)
        except ipp.IppError:
            continue  # CUPS unreachable: the job stays where it is until it answers again


def _follow(
    session: Session,
    now: datetime,
    cups: ipp.CupsClient,
    job: PrintJob,
    printers: dict[int, Printer],
    result: RoundResult,
) -> None:
    assert job.cups_job_id is not None and job.printer_id is not None
    printer = printers[job.printer_id]
    info = cups.job(job.cups_job_id)
    if info is None or info["state"] == ipp.JOB_COMPLETED:
        # CUPS forgets only finished jobs, and we cancel none without settling it first.
        _printed(session, now, job, result)
    elif info["state"] in (ipp.JOB_ABORTED, ipp.JOB_CANCELED):
        _requeue(session, now, job, "failed", ", ".join(info["reasons"]) or "aborted by CUPS")
        result.moved += 1
    elif not (printer.healthy and printer.enabled):
        if cups.cancel(job.cups_job_id):
            _requeue(
                session, now, job, "moved", f"{printer.queue}: {printer.state_message or 'switched off'}"
            )
            result.moved += 1
        else:
            settled = cups.job(job.cups_job_id)
            if settled is None or settled["state"] == ipp.JOB_COMPLETED:
                _printed(session, now, job, result)
            else:
                _requeue(session, now, job, "failed", "ended on a failed printer")
                result.moved += 1


def recover_claims(session: Session, now: datetime, cups: ipp.CupsClient) -> None:
    """Jobs left ``sending`` by a dispatcher that stopped mid-submission: adopt the CUPS job if
    it got there (found by its name), else put the job back in the queue."""
    stale = session.scalars(
        select(PrintJob).where(PrintJob.status == "sending", PrintJob.sent_at < now - STALE_CLAIM)
    )
    for job in stale:
        assert job.printer_id is not None
        printer = session.get(Printer, job.printer_id)
        found = cups.jobs_named(printer.queue).get(job_name(job)) if printer else None
        if found is None:
            _requeue(session, now, job, "failed", "submission cut off before CUPS had it")
        else:
            job.status, job.cups_job_id = "sent", found
            _attempt(session, now, job, "sent")


def claim(session: Session, now: datetime) -> list[tuple[PrintJob, Printer]]:
    """Give every queued job a printer, least loaded first (CUPS's unfinished jobs on it plus
    what this round already gave it), and mark the jobs ``sending``."""
    printers = [p for p in list_printers(session) if p.enabled and p.healthy]
    if not printers:
        return []
    load = {p.id: p.queued for p in printers}
    claimed: list[tuple[PrintJob, Printer]] = []
    queued = session.scalars(select(PrintJob).where(PrintJob.status == "queued").order_by(PrintJob.id))
    for job in queued:
        printer = min(printers, key=lambda p: (load[p.id], p.id))
        done = session.execute(
            update(PrintJob)
            .where(PrintJob.id == job.id, PrintJob.status == "queued")
            .values(status="sending", printer_id=printer.id, attempt=PrintJob.attempt + 1, sent_at=now)
            .execution_options(synchronize_session="fetch")
        )
        if done.rowcount:  # type: ignore[attr-defined]
            load[printer.id] += 1
            claimed.append((job, printer))
    return claimed


def send(
    session: Session,
    now: datetime,
    plan: Plan,
    cups: ipp.CupsClient,
    job: PrintJob,
    printer: Printer,
    result: RoundResult,
) -> None:
    """Hand one claimed job to CUPS. A refusal marks the printer failed and returns the job to
    the queue; it goes to another printer in the same round."""
    if not printer.healthy:  # failed earlier in this round
        _requeue(session, now, job, "failed", f"{printer.queue}: {printer.state_message}")
        return
    try:
        job.cups_job_id = cups.print_job(printer.queue, job_name(job), job.data, job.content_type)
    except ipp.IppError as exc:
        _requeue(session, now, job, "failed", str(exc))
        _mark(session, now, plan, printer, None, str(exc), result)
        return
    job.status = "sent"
    _attempt(session, now, job, "sent")
    result.sent += 1


def _printed(session: Session, now: datetime, job: PrintJob, result: RoundResult) -> None:
    job.status, job.printed_at = "printed", now
    _settle_attempt(session, job, "printed", None)
    result.printed += 1


def _requeue(session: Session, now: datetime, job: PrintJob, outcome: str, reason: str) -> None:
    if job.status == "sending" and job.cups_job_id is None:
        _attempt(session, now, job, outcome, reason)
    else:
        _settle_attempt(session, job, outcome, reason)
    job.status, job.printer_id, job.cups_job_id, job.last_error = "queued", None, None, reason[:2000]


def _attempt(session: Session, now: datetime, job: PrintJob, outcome: str, reason: str | None = None) -> None:
    assert job.printer_id is not None
    session.add(
        PrintAttempt(
            job_id=job.id,
            printer_id=job.printer_id,
            attempt=job.attempt,
            cups_job_id=job.cups_job_id,
            at=now,
            outcome=outcome,
            reason=reason,
        )
    )


def _settle_attempt(session: Session, job: PrintJob, outcome: str, reason: str | None) -> None:
    last = session.scalar(
        select(PrintAttempt)
        .where(PrintAttempt.job_id == job.id, PrintAttempt.attempt == job.attempt)
        .order_by(PrintAttempt.id.desc())
        .limit(1)
    )
    if last is not None:
        last.outcome, last.reason = outcome, reason


def loads(session: Session) -> dict[int, int]:
    """Jobs each printer holds for us right now (sent, not yet printed)."""
    rows = session.execute(
        select(PrintJob.printer_id, func.count())
        .where(PrintJob.status.in_(("sending", "sent")), PrintJob.printer_id.is_not(None))
        .group_by(PrintJob.printer_id)
    )
    return {int(printer_id): int(n) for printer_id, n in rows if printer_id is not None}


def by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(PrintJob.status, func.count()).group_by(PrintJob.status))
    return {str(status): int(n) for status, n in rows}
