"""The signed chat requests already acted on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base, UTCDateTime


class ChatRequest(Base):
    """One row per accepted callback, keyed by what makes it unique on its platform (DingTalk's
    ``sign``, Feishu's ``event_id``, WeCom's ``msg_signature``): a captured request sent again
    inside the time window, or a platform's retry, is not acted on twice. Rows older than a day
    (``chatops.service.KEEP``) are deleted as new ones come."""

    __tablename__ = "chat_requests"
    __table_args__ = (UniqueConstraint("platform", "digest", name="uq_chat_requests_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
