"""The dashboard's charts, each drawn as server-rendered SVG from a domain's service. A domain
that is not installed has no widget (never made-up numbers).

* Parcels per area (S3.3): the active incidents of the plan's parcel-counted kinds (backlog,
  lost, transit interrupted: every kind whose ``unit`` is ``parcels`` and that has a threshold),
  whose counts the detectors keep current, per area. Each bar is the count as a share of its
  kind's first threshold (20, 5, 100 parcels), so the three read on one axis and the 100 % line
  is where an area reaches Level 2; the hover title gives the parcels. Drills stay out.
* Paid orders per hour against the plan (S1.8): the shops' per-minute metrics summed per local
  hour so far, beside the plan's curve (visitors per hour x planned conversion x shops).
* Readiness per risk (S1.1-S1.7): the share of each risk's checklist done; the note gives what
  is overdue and the next timeline reminder.
* Warehouse use per bay (S2.1, S2.7): the share of each bay's locations that hold stock, from
  the warehouse's bays, locations and real-time stock; the note gives the leased share of all
  bays' area against the plan's overflow threshold. Shown once the warehouse has bays.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.i18n import gettext
from peakguard.incidents import queries
from peakguard.incidents.models import ACTIVE
from peakguard.monitor import hourly
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan
from peakguard.readiness import checklist, timeline
from peakguard.readiness.drills import is_drill
from peakguard.warehouse import clients, leases, stock
from peakguard.web.charts import Chart, Series
from peakguard.web.security import Viewer

PALETTE = ["#f2994a", "#eb5757", "#bb6bd9", "#56ccf2", "#27ae60", "#f2c94c"]
MAX_AREAS = 12


def charts(session: Session, viewer: Viewer, now: datetime) -> list[Chart]:
    plan = current_plan()
    out = [
        parcels_per_area(session, plan, viewer.lang),
        orders_per_hour(session, plan, viewer.lang, now),
        readiness_per_risk(session, plan, viewer.lang, now),
    ]
    bays = warehouse_use(session, plan, viewer, now)
    if bays is not None:
        out.append(bays)
    return out


def orders_per_hour(session: Session, plan: Plan, lang: str, now: datetime) -> Chart:
    """The current hour is not over: its count so far is scaled to a whole hour (and the note
    says so), else the line would "crash" at every hour's start."""
    day = hourly.paid_orders_per_hour(session, plan, now)
    paid = [float(v) for v in day.paid]
    local = now.astimezone(ZoneInfo(plan.timezone))
    minutes = max(1, local.minute)
    note = ""
    if paid:
        paid[-1] = round(day.paid[-1] * 60 / minutes, 1)
        note = gettext(
            lang,
            "{hour}:00 is under way: its {minutes} minutes so far are scaled to the hour",
            hour=f"{local.hour:02d}",
            minutes=minutes,
        )
    return Chart(
        key="orders",
        title=gettext(lang, "Paid orders per hour against the plan (S1.8)"),
        kind="lines",
        labels=[f"{h:02d}" for h in range(24)] if day.shops else [],
        series=[
            Series(gettext(lang, "Plan curve"), "#93a4b4", day.planned),
            Series(gettext(lang, "Paid orders"), "#27ae60", paid),
        ],
        note=note if day.shops else "",
        empty=gettext(lang, "No shop metrics yet today."),
    )


def readiness_per_risk(session: Session, plan: Plan, lang: str, now: datetime) -> Chart:
    scores = checklist.scores(session, plan, now, lang)
    upcoming = [p for p in timeline.points(session, plan, now) if p.status == "upcoming"]
    return Chart(
        key="readiness",
        title=gettext(lang, "Readiness: {percent}% done", percent=scores.percent),
        kind="bars",
        labels=[r.section for r in scores.risks] if scores.total else [],
        series=[
            Series(
                gettext(lang, "Preparations done"),
                "#27ae60",
                [float(r.percent) for r in scores.risks],
                [f"{r.name} {r.done}/{r.total}" for r in scores.risks],
            )
        ],
        glossary=[(r.section, r.name) for r in scores.risks],
        limits=[(100.0, "100%")],
        unit="%",
        note=gettext(
            lang,
            "{overdue} overdue; next reminder {next}",
            overdue=scores.overdue,
            next=upcoming[0].reminder.at if upcoming else "-",
        ),
        empty=gettext(lang, "The checklist is empty."),
    )


def warehouse_use(session: Session, plan: Plan, viewer: Viewer, now: datetime) -> Chart | None:
    bays = clients.list_bays(session)
    if not bays:
        return None
    held = {row.location for row in stock.query(session, Actor.system("war-room")) if row.location}
    labels, used, hints = [], [], []
    for bay in bays:
        codes = [loc.code for loc in clients.list_locations(session, bay.id)]
        busy = sum(1 for code in codes if code in held)
        labels.append(bay.code)
        used.append(round(100 * busy / len(codes), 1) if codes else 0.0)
        hints.append(f"{busy}/{len(codes)} · {bay.area_m2} m²")
    leased = leases.used_percent(session, now.astimezone(ZoneInfo(plan.timezone)).date())
    lang = viewer.lang
    return Chart(
        key="bays",
        title=gettext(lang, "Warehouse: locations in use per bay"),
        kind="bars",
        labels=labels,
        series=[Series(gettext(lang, "Locations holding stock"), "#56ccf2", used, hints)],
        limits=[(100.0, gettext(lang, "full"))],
        unit="%",
        note=gettext(
            lang,
            "Leased {leased}% of all bays' area; overflow alarm at {limit}%",
            leased=leased if leased is not None else 0,
            limit=plan.warehouse.overflow_percent,
        ),
    )


def parcels_per_area(session: Session, plan: Plan, lang: str) -> Chart:
    kinds = [key for key, kind in plan.kinds.items() if kind.unit == "parcels" and kind.thresholds]
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for kind in kinds:
        for incident in queries.list_incidents(session, status=list(ACTIVE), kind=kind, plan=plan):
            if not is_drill(incident.area):  # a rehearsal is not the day's trouble
                counts[incident.area][kind] = incident.count
    areas = sorted(counts, key=lambda a: (-sum(counts[a].values()), a))[:MAX_AREAS]
    first = {kind: plan.kinds[kind].thresholds[0] for kind in kinds}
    thresholds = [f"{plan.kinds[k].name.get(lang)} ≥ {first[k].min_count}" for k in kinds]
    level = plan.levels[first[kinds[0]].level].name.get(lang) if kinds else ""
    return Chart(
        key="parcels",
        title=gettext(lang, "Parcels in trouble per area"),
        kind="bars",
        labels=areas,
        series=[
            Series(
                plan.kinds[kind].name.get(lang),
                PALETTE[i % len(PALETTE)],
                [round(100 * counts[a].get(kind, 0) / first[kind].min_count, 1) for a in areas],
                [str(counts[a].get(kind, 0)) for a in areas],
            )
            for i, kind in enumerate(kinds)
        ],
        limits=[(100.0, level)],
        unit="%",
        note=gettext(lang, "Level 2 from: {thresholds}", thresholds=" · ".join(thresholds)),
        empty=gettext(lang, "No parcel backlog, loss or interruption reported."),
    )
