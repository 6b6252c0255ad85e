"""How recently each feed spoke, for the on-call heartbeat (issue 17): the newest event time
per scanning site (from ``parcel_state``) and per shop (orders and shop metrics), counting only
events newer than ``since``, so each round reads what arrived since the last one through the
time indexes rather than the whole history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peakguard.monitor.models import SHOP_EVENTS, MonitorEvent, ParcelState


def last_seen(session: Session, since: datetime | None) -> dict[str, tuple[str, datetime]]:
    """``{"site:<name>" | "shop:<name>": (name, newest event time)}`` for feeds heard after
    ``since`` (all time when None)."""
    sites = select(ParcelState.site, func.max(ParcelState.ts)).group_by(ParcelState.site)
    shops = (
        select(MonitorEvent.scope, func.max(MonitorEvent.ts))
        .where(SHOP_EVENTS, MonitorEvent.type.in_(("order", "shop_metrics")))
        .group_by(MonitorEvent.scope)
    )
    if since is not None:
        sites = sites.where(ParcelState.ts > since)
        shops = shops.where(MonitorEvent.ts > since)
    out = {f"site:{name}": (name, at) for name, at in session.execute(sites)}
    out.update({f"shop:{name}": (name, at) for name, at in session.execute(shops)})
    return out
