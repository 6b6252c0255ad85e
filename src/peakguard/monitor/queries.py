"""Reading what the monitor stored: the chase list and the dead letters. Apart from
:mod:`peakguard.monitor.service`, whose ingest and detection bring Polars and Numba (about a
second of start-up), so that ``peakguard chase-list`` and ``dead-letters`` start as fast as any
other one-shot command (issue 14)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.monitor.models import DeadLetter, OrderState
from peakguard.plan.schemas import Plan


def chase_list(session: Session, now: datetime, plan: Plan, shop_name: str | None = None) -> list[OrderState]:
    """S1.8: orders created and still unpaid after the plan's delay, largest first."""
    cutoff = now - timedelta(minutes=plan.detection.chase_after_minutes)
    query = select(OrderState).where(OrderState.status == "created", OrderState.created_at <= cutoff)
    if shop_name:
        query = query.where(OrderState.shop == shop_name)
    return list(session.scalars(query.order_by(OrderState.amount.desc(), OrderState.created_at)))


def dead_letters(session: Session, limit: int = 200) -> list[DeadLetter]:
    return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)))
