"""People who can be told and assigned. A person may have a login (``user_id``) or be an outside
contact such as the competent authorities (role ``authority``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.db import Base


class Person(Base):
    __tablename__ = "roster_people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), index=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    """Available (not on leave or sick). Who is on duty at a time is the schedule's answer
    (:mod:`peakguard.oncall.schedule`); an unavailable person is skipped even when scheduled."""
    language: Mapped[str] = mapped_column(String(10), default="zh_CN")
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Apprise URLs in the order to try them (mailto://, dingtalk://, wecom://, json://...)."""
    priority: Mapped[int] = mapped_column(Integer, default=100)
    """Lower first: who of a role is tried first when a message must reach someone."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
