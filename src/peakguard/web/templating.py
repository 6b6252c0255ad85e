"""Rendering pages: one Jinja2 environment, and every template gets the page language's ``_``,
the viewer, the CSRF token, a one-shot flash message and the navigation the viewer may use."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from peakguard.auth.roles import Perm
from peakguard.i18n import gettext
from peakguard.plan.service import current_plan
from peakguard.readiness.drills import is_drill
from peakguard.web.security import Viewer, csrf_token, page_language
from peakguard.web.titles import status_title

TEMPLATES = Path(__file__).with_name("templates")

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

NAV: list[tuple[str, str, Perm]] = [
    ("/war-room", "War room", Perm.INCIDENTS_READ),
    ("/readiness", "Readiness", Perm.READINESS_READ),
    ("/compensation", "Compensation", Perm.INCIDENTS_READ),
    ("/admin/plan", "Plan", Perm.PLAN_READ),
    ("/oncall", "On call", Perm.ROSTER_READ),
    ("/scorecard", "Scorecard", Perm.INCIDENTS_READ),
    ("/admin/roster", "Roster", Perm.ROSTER_READ),
    ("/admin/notifications", "Notifications", Perm.ROSTER_READ),
    ("/admin/printers", "Printers", Perm.PRINTING),
    ("/admin/users", "Users", Perm.USERS_MANAGE),
    ("/scan", "Scanner", Perm.WAREHOUSE_OPERATE),
    ("/portal", "Client portal", Perm.WAREHOUSE_CLIENT),
]
"""(path, msgid, permission): a link shows only to whom the page would let in."""


STATUS_LABELS = {
    "open": "Not yet acknowledged",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
    "closed": "closed",
}
"""An incident's status as the war room says it (``open`` alone reads as "not done")."""


def local_time(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    """A UTC time as the war room reads it: in the plan's time zone (Asia/Shanghai)."""
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(current_plan().timezone)).strftime(fmt)


def place_name(lang: str, place: str, location: str | None) -> str:
    """Where stock is, as a client reads it (S2.8): a location's code, else what the internal
    place means (``hold`` is the QC hold, ``out:7`` picked for order 7), never the raw key."""
    if location:
        return location
    kind, _, number = place.partition(":")
    if kind == "pallet" and number.isdigit():
        return gettext(lang, "On pallet {code}", code=f"LP{int(number):010d}")
    if kind == "out":
        return gettext(lang, "Picked for order {n}", n=number)
    return gettext(lang, PLACES.get(place, place))


PLACES = {"hold": "QC hold", "dock": "Receiving dock"}


def found_id(value: object) -> str:
    """What a detector found, as the page reads it: a parcel or order id unchanged, and a shop
    minute (stored as a UTC timestamp) in the plan's time zone like every other time here."""
    text = str(value)
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return text
    return local_time(stamp) if stamp.tzinfo is not None else text


def iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def text_colour(background: str) -> str:
    """Black or white text, whichever reads better on a level's colour (yellow needs black)."""
    r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


NOTIFY_LABELS = {"pending": "Waiting to send"}
"""A notification's status as the delivery log says it (``pending`` alone reads as a to-do)."""


def notify_status(status: str) -> str:
    return NOTIFY_LABELS.get(status, status)


def duration(seconds: int | None) -> str:
    """Seconds as the drill table reads them: ``m:ss``, or ``h:mm:ss`` past an hour."""
    if seconds is None:
        return "-"
    hours, rest = divmod(seconds, 3600)
    text = f"{rest // 60}:{rest % 60:02d}"
    return f"{hours}:{text.zfill(5)}" if hours else text


def carrier_name(lang: str, code: str) -> str:
    """A carrier as people say it (顺丰速运, not ``sf``): the plan's name in the page language."""
    carriers = current_plan().warehouse.carriers
    return gettext(lang, carriers[code].name) if code in carriers else code


env.filters.update(
    drill=is_drill,
    found_id=found_id,
    local=local_time,
    iso=iso,
    text_colour=text_colour,
    status_label=status_label,
    notify_status=notify_status,
    duration=duration,
)


def flash(request: Request, kind: str, text: str) -> None:
    """A message shown once on the next page (after a form's redirect)."""
    request.session["flash"] = {"kind": kind, "text": text}


def render(
    request: Request, template: str, viewer: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = viewer.lang if viewer else page_language(request)
    nav = [(p, label) for p, label, perm in NAV if viewer and viewer.can(perm)]
    page = env.get_template(template).render(
        request=request,
        viewer=viewer,
        lang=lang,
        _=partial(gettext, lang),
        csrf=csrf_token(request),
        flash=request.session.pop("flash", None),
        nav=nav,
        path=request.url.path,
        carrier_name=partial(carrier_name, lang),
        place_name=partial(place_name, lang),
        **context,
    )
    return HTMLResponse(page, status_code=status)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    lang = page_language(request)
    return render(
        request, "error.html", None, status=status, title=status_title(lang, status), message=message
    )
