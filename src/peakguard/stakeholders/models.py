"""Which warehouse clients an incident touches, the updates posted for them, and the reminder
clock that prompts the handler to post one (issue 17; S3.7 (5), (6))."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime
from peakguard.incidents.models import Incident
from peakguard.warehouse.models import Client


class IncidentClient(Base):
    """An incident touches a client: some of the parcels or orders it counts are the client's
    (matched by tracking number or order reference), or a person linked them."""

    __tablename__ = "stakeholder_links"

    incident_id: Mapped[int] = mapped_column(ForeignKey(Incident.id), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey(Client.id), primary_key=True, index=True)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    """How many of the client's parcels or orders the incident counted when last matched."""
    how: Mapped[str] = mapped_column(String(20))
    """parcels, orders or manual."""
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClientUpdate(Base):
    """What the handler tells the touched clients, shown in their portal."""

    __tablename__ = "stakeholder_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey(Incident.id), index=True)
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class UpdateClock(Base):
    """When the next update is due for an incident: a reminder fires when ``due_at`` passes, by
    moving ``due_at`` on with a conditional update (``due_at`` = the value read), so each
    interval reminds exactly once, whatever the number of tickers or restarts."""

    __tablename__ = "stakeholder_clocks"

    incident_id: Mapped[int] = mapped_column(ForeignKey(Incident.id), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
