"""The demo's emergency group: logins for each role and the roster behind them (S3.4).

Passwords are the same demo password for everyone and are printed when the demo starts: this
database is the demo's own, made fresh each run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.plan.schemas import Plan
from peakguard.roster import service as roster

DEMO_PASSWORD = "peakguard-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    display_name: str
    client_id: int | None = None


TEAM = [
    DemoLogin("admin", "admin", "管理员"),
    DemoLogin("zhao", "leader", "赵组长"),
    DemoLogin("wang", "deputy", "王副组长"),
    DemoLogin("li", "member", "李明"),
    DemoLogin("zhang", "member", "张华"),
    DemoLogin("viewer", "viewer", "大屏"),
]


def create_team(
    session: Session, actor: Actor, now: datetime, plan: Plan, channel: Callable[[str], str] | None = None
) -> list[DemoLogin]:
    """Users for the emergency group and a roster entry for each, plus the authorities' contact;
    ``channel(who)`` gives each a notification channel (the demo's own inbox)."""

    def channels(who: str) -> list[str]:
        return [channel(who)] if channel else []

    for login in TEAM:
        user = auth.create_user(
            session,
            actor,
            now,
            username=login.username,
            password=DEMO_PASSWORD,
            role=login.role,
            display_name=login.display_name,
        )
        if login.role in plan.roles:
            roster.add_person(
                session,
                actor,
                now,
                plan,
                name=login.display_name,
                role=login.role,
                user_id=user.id,
                channels=channels(login.username),
            )
    roster.add_person(
        session,
        actor,
        now,
        plan,
        name="邮政管理局 Postal bureau",
        role="authority",
        channels=channels("authority"),
    )
    return list(TEAM)
