"""The notification outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime
from peakguard.incidents.models import Incident
from peakguard.roster.models import Person


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    event: Mapped[str] = mapped_column(String(40))
    """opened, level_raised, breached, resolved, ..."""
    incident_id: Mapped[int | None] = mapped_column(ForeignKey(Incident.id), nullable=True, index=True)
    role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey(Person.id), nullable=True)
    language: Mapped[str] = mapped_column(String(10))
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    """The incident's level when the message was written: phone and SMS channels are tried
    from the plan's ``oncall.phone_sms_from`` level up (issue 17)."""
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    """pending (to deliver), sent, failed, no_recipient (nobody of the role on duty)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
