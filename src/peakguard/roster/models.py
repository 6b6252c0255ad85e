"""People who can be told and assigned. A person may have a login (``user_id``) or be an outside
contact such as the competent authorities (role ``authority``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from peakguard.auth.models import User
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
    user_id: Mapped[int | None] = mapped_column(ForeignKey(User.id), nullable=True)
    dingtalk_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    """The person's DingTalk user (``senderStaffId``, else ``senderId``): a command sent to the
    robot from this user acts as this person (issue 17)."""
    wecom_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    """The WeCom (企业微信) ``UserID`` the callback names in ``FromUserName``."""
    feishu_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    """The Feishu (飞书) ``open_id`` (or ``user_id``) of the sender or the button's operator."""
    quiet_hours: Mapped[str | None] = mapped_column(String(11), nullable=True)
    """``HH:MM-HH:MM`` in the person's local time (may wrap midnight): no phone call or SMS
    then, unless the incident's level breaks quiet hours (plan ``oncall.break_quiet_hours``)."""
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The person's local time zone for quiet hours; none: the plan's."""
