"""Printers (CUPS queues) and the print queue in front of them (S1.6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime


class Printer(Base):
    """A CUPS queue PeakGuard may send to. ``enabled`` is the operator's switch; ``healthy`` is
    what CUPS last said (the queue exists, accepts jobs and is not stopped)."""

    __tablename__ = "printers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue: Mapped[str] = mapped_column(String(127), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(default=True)
    healthy: Mapped[bool] = mapped_column(default=False)
    state_message: Mapped[str] = mapped_column(String(300), default="")
    queued: Mapped[int] = mapped_column(Integer, default=0)
    """Unfinished jobs CUPS holds for the queue (anyone's): its load at the last check."""
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """When it was last seen to fail; cleared when it works again."""


class PrintJob(Base):
    """One document to print exactly once. ``status``: queued (waiting for a printer),
    sending (claimed; the CUPS submission may or may not have happened), sent (CUPS has it as
    ``cups_job_id`` on ``printer_id``), printed (CUPS completed it), cancelled."""

    __tablename__ = "print_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    document: Mapped[str] = mapped_column(String(120), index=True)
    """What it is, e.g. ``waybill:12``: a second request for it answers the job already made."""
    title: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60), default="application/pdf")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"), nullable=True, index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    """Submissions so far; the CUPS job name carries it, so a lost answer can be found again."""
    cups_job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class PrintAttempt(Base):
    """Every hand-over of a job to a printer and how it ended: the trail that shows a job moved
    off a dead printer and was printed once."""

    __tablename__ = "print_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("print_jobs.id"), index=True)
    printer_id: Mapped[int] = mapped_column(ForeignKey("printers.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    cups_job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="sent")
    """sent, printed, moved (taken back from a failed printer), failed (CUPS aborted it),
    cancelled (withdrawn by an operator while CUPS held it)."""
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
