"""An incident's timeline in the page language. The engine stores each entry's facts in
``detail`` (count, levels, roles, step) next to an English ``message``; the page rebuilds the
sentence from the facts so a zh_CN reader sees no English, and shows people's own words (notes,
results, reviews) as they wrote them. Who acted reads as a name (李明, 系统检测), never as the
audit code (``user:li``, ``system:detector``), and a run of count updates from the detectors
folds into one line ("数量 2→30，28 次") so the timeline stays readable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.auth.models import User
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
    "resolved": "Incident resolved",
    "closed": "Closed",
    "step": "Step",
    "review": "Review",
    "measure": "Preventive measure",
    "measure_done": "Measure done",
    "breached": "Deadline missed",
    "deadline_near": "Deadline near",
    "muted": "Muted",
    "mutes": "Mutes another",
    "unmuted": "Unmuted",
    "snoozed": "Snoozed",
    "snooze_ended": "Snooze ended",
    "client_update": "Update for the clients",
    "client_update_due": "Client update due",
}
OWN_WORDS = {"note", "resolved", "review", "measure", "measure_done", "snoozed", "client_update"}
MUTE_ENDS = {
    "time": "its time ran out",
    "level_raised": "the level was raised",
    "source_resolved": "the incident muting it is over",
    "resolved": "the incident is over",
    "ended": "ended by hand",
    "replaced": "replaced by a new snooze",
}
"""How a mute (issue 17) ended, as the timeline says it."""
SYSTEM_ACTORS = {
    "detector": "System (detector)",
    "deadline": "System (deadline watch)",
    "printing": "System (printing)",
    "war-room": "System",
    "warehouse": "System (warehouse)",
    "bus": "System (event bus)",
}
"""The system's own actors (``Actor.system(what)``) as a reader says them."""


@dataclass(frozen=True)
class Line:
    event: str
    label: str
    text: str
    actor: str = ""


def user_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """Display names of the users among ``actors`` (``user:<username>``), in one query."""
    usernames = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(usernames)))
    return {username: display or username for username, display in rows}


def actor_name(actor: str, names: dict[str, str], lang: str) -> str:
    kind, _, who = actor.partition(":")
    if kind == "user":
        return names.get(who, who)
    if kind == "system":
        return gettext(lang, SYSTEM_ACTORS.get(who.partition(":")[0], "System"))
    if kind == "demo":
        return gettext(lang, "Demo")
    if kind == "cli":
        return gettext(lang, "Command line ({who})", who=who)
    return actor


def lines(
    entries: list[TimelineOut], plan: Plan, steps: list[StepOut], lang: str, names: dict[str, str]
) -> list[tuple[TimelineOut, Line]]:
    """The timeline newest first, each run of count updates folded into its last entry."""
    out: list[tuple[TimelineOut, Line]] = []
    count: object = None
    run_start: object = None
    run: list[TimelineOut] = []

    def flush() -> None:
        if len(run) == 1:
            out.append((run[0], describe(run[0], plan, steps, lang, names)))
        elif run:
            last = run[-1]
            text = gettext(
                lang,
                "Count {old}→{new}, {n} updates",
                old=run_start,
                new=last.detail.get("count"),
                n=len(run),
            )
            label = gettext(lang, EVENTS["updated"])
            out.append((last, Line("updated", label, text, actor_name(last.actor, names, lang))))
        run.clear()

    for entry in entries:
        if entry.event == "updated":
            if not run:
                run_start = count
            run.append(entry)
        else:
            flush()
            out.append((entry, describe(entry, plan, steps, lang, names)))
        if entry.event in ("opened", "updated"):
            count = entry.detail.get("count")
    flush()
    return out[::-1]


def level_name(plan: Plan, level: object, lang: str) -> str:
    spec = plan.levels.get(str(level))
    return spec.name.get(lang) if spec else str(level)


def describe(
    entry: TimelineOut, plan: Plan, steps: list[StepOut], lang: str, names: dict[str, str] | None = None
) -> Line:
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
        text = ""
    elif entry.event == "muted":
        text = gettext(lang, "Not paged while incident {id} is active", id=f"#{d.get('source')}")
    elif entry.event == "mutes":
        text = gettext(lang, "Incident {id} is not paged while this one is active", id=f"#{d.get('target')}")
    elif entry.event in ("unmuted", "snooze_ended"):
        reason = str(d.get("reason", ""))
        text = gettext(lang, MUTE_ENDS[reason]) if reason in MUTE_ENDS else reason
    elif entry.event == "client_update_due":
        text = gettext(lang, "The handler was reminded to update the clients")
    else:
        text = entry.message if entry.event not in EVENTS else ""
    return Line(event=entry.event, label=label, text=text, actor=actor_name(entry.actor, names or {}, lang))
