"""An incident's timeline in the page language. The engine stores each entry's facts in
``detail`` (count, levels, roles, step) next to an English ``message``; the page rebuilds the
sentence from the facts so a zh_CN reader sees no English, and shows people's own words (notes,
results, reviews) as they wrote them."""

from __future__ import annotations

from dataclasses import dataclass

from peakguard.i18n import gettext
from peakguard.incidents.schemas import StepOut, TimelineOut
from peakguard.plan.schemas import Plan

EVENTS = {
    "opened": "Opened",
    "updated": "Count updated",
    "level_raised": "Level raised",
    "level_changed": "Level changed",
    "acknowledged": "Acknowledged",
    "note": "Note",
    "resolved": "Resolved",
    "closed": "Closed",
    "step": "Step",
    "review": "Review",
    "measure": "Preventive measure",
    "measure_done": "Measure done",
    "breached": "Deadline missed",
    "deadline_near": "Deadline near",
}
OWN_WORDS = {"note", "resolved", "review", "measure", "measure_done"}


@dataclass(frozen=True)
class Line:
    event: str
    label: str
    text: str


def level_name(plan: Plan, level: object, lang: str) -> str:
    spec = plan.levels.get(str(level))
    return spec.name.get(lang) if spec else str(level)


def describe(entry: TimelineOut, plan: Plan, steps: list[StepOut], lang: str) -> Line:
    d = entry.detail
    label = gettext(lang, EVENTS[entry.event]) if entry.event in EVENTS else entry.event
    if entry.event in OWN_WORDS:
        text = entry.message
    elif entry.event == "opened":
        text = gettext(
            lang,
            "Count {count}, level {level}",
            count=d.get("count"),
            level=level_name(plan, d.get("level"), lang),
        )
    elif entry.event == "updated":
        text = gettext(lang, "Count is now {count}", count=d.get("count"))
    elif entry.event in ("level_raised", "level_changed"):
        text = f"{level_name(plan, d.get('old'), lang)} → {level_name(plan, d.get('new'), lang)}"
        if entry.event == "level_changed":
            text += f": {d.get('reason', '')}"
    elif entry.event == "step":
        step = next((s for s in steps if s.id == d.get("step")), None)
        text = entry.message
        if step is not None:
            words = step.text_en if lang == "en" else step.text_zh
            text = f"{step.position}. {words}: {gettext(lang, entry.message.rsplit(': ', 1)[-1])}"
    elif entry.event == "breached":
        roles = ", ".join(gettext(lang, str(r)) for r in d.get("roles", []))
        text = gettext(lang, "Deadline passed; told {roles}", roles=roles)
    elif entry.event == "deadline_near":
        roles = ", ".join(gettext(lang, str(r)) for r in d.get("roles", []))
        text = gettext(lang, "Deadline near; told {roles}", roles=roles)
    elif entry.event == "acknowledged":
        text = entry.actor
    else:
        text = entry.message if entry.event not in EVENTS else ""
    return Line(event=entry.event, label=label, text=text)
