"""How recently each feed spoke, for the on-call heartbeat (issue 17): the newest event time
per scanning site (from ``site_heard``) and per shop (orders and shop metrics), counting only
events newer than ``since``, so each round reads what arrived since the last one through the
site table (a few rows per site) and the shops' time index rather than the whole history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from peakguard.monitor.models import SHOP_EVENTS, MonitorEvent, SiteHeard


def last_seen(session: Session, since: datetime | None) -> dict[str, tuple[str, datetime]]:
    """``{"site:<name>" | "shop:<name>": (name, newest event time)}`` for feeds heard after
    ``since`` (all time when None)."""
    sites = select(SiteHeard.site, func.max(SiteHeard.ts)).group_by(SiteHeard.site)
    shops = (
        select(MonitorEvent.scope, func.max(MonitorEvent.ts))
        .where(SHOP_EVENTS, MonitorEvent.type.in_(("order", "shop_metrics")))
        .group_by(MonitorEvent.scope)
    )
    if since is not None:
        sites = sites.where(SiteHeard.ts > since)
        shops = shops.where(MonitorEvent.ts > since)
    out = {f"site:{name}": (name, at) for name, at in session.execute(sites)}
    out.update({f"shop:{name}": (name, at) for name, at in session.execute(shops)})
    return out


def forget_superseded(session: Session) -> None:
    """Keep each site's newest time only: the store appends to ``site_heard``, and the
    heartbeat round trims it, so the table stays a few rows per site. Rows are only appended
    and deleted, never updated, so this takes no lock a writer waits for."""
    newest = aliased(SiteHeard)
    session.execute(
        delete(SiteHeard).where(
            SiteHeard.ts < select(func.max(newest.ts)).where(newest.site == SiteHeard.site).scalar_subquery()
        )
    )
