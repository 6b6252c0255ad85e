"""The scorecard page (issue 17; S3.7): minutes to acknowledge and to resolve per level and per
week as server-drawn SVG charts (no script, the CSP stays strict), the same numbers per person
and per outlet as tables, and the outlet scorecard with each outlet's next penalty step."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from peakguard.deps import Now, SessionDep
from peakguard.i18n import gettext
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan
from peakguard.scorecard import numbers
from peakguard.web.charts import Chart, Series
from peakguard.web.security import PageCanReadIncidents
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
ACK, RESOLVE = "#f2994a", "#27ae60"


def minutes_chart(
    key: str, title: str, rows: list[numbers.Row], labels: list[str], lang: str, empty: str
) -> Chart:
    """Mean minutes to acknowledge and to resolve per label; the hover title gives the longest."""

    def series(name: str, colour: str, mean: str, longest: str) -> Series:
        return Series(
            gettext(lang, name),
            colour,
            [getattr(r, mean) or 0.0 for r in rows],
            [
                gettext(
                    lang,
                    "mean {mean} min, longest {max} min",
                    mean=getattr(r, mean) or "-",
                    max=getattr(r, longest) or "-",
                )
                for r in rows
            ],
        )

    return Chart(
        key=key,
        title=title,
        kind="bars",
        labels=labels,
        series=[
            series("To acknowledge", ACK, "ack_mean_minutes", "ack_max_minutes"),
            series("To resolve", RESOLVE, "resolve_mean_minutes", "resolve_max_minutes"),
        ],
        unit="",
        note=gettext(lang, "mean minutes from opening"),
        empty=empty,
    )


def level_labels(plan: Plan, rows: list[numbers.Row], lang: str) -> list[str]:
    return [plan.levels[r.key].name.get(lang) if r.key in plan.levels else r.key for r in rows]


@router.get("/scorecard")
def scorecard_page(
    request: Request,
    viewer: PageCanReadIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    plan = current_plan()
    lang = viewer.lang
    by = {key: numbers.response_times(session, plan, now, key) for key in numbers.BY}
    empty = gettext(lang, "No incidents yet.")
    charts = [
        minutes_chart(
            "levels",
            gettext(lang, "Response per level"),
            by["level"],
            level_labels(plan, by["level"], lang),
            lang,
            empty,
        ),
        minutes_chart(
            "weeks",
            gettext(lang, "Response per week"),
            by["week"],
            [r.key[5:] for r in by["week"]],
            lang,
            empty,
        ),
    ]
    return render(
        request,
        "scorecard.html",
        viewer,
        charts=charts,
        people=by["person"],
        outlets=by["outlet"][:50],
        cards=numbers.outlets(session, plan),
        plan=plan,
    )
