"""The dashboard's charts from the other domains, each drawn as server-rendered SVG. A domain
that is not installed has no widget (never made-up numbers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from peakguard.web.charts import Chart
from peakguard.web.security import Viewer


def charts(session: Session, viewer: Viewer, now: datetime) -> list[Chart]:
    return []
