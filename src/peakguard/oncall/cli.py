"""`peakguard oncall ...`: rotations, overrides, swaps, who is on duty now and next, the week,
coverage gaps, calendar links, and one round of the on-call jobs. Times are the plan's local
time unless they carry an offset. The paging, noise, snooze, mute and job modules are imported by
the commands that use them: together they were half of every on-call command's start-up
(issue 14)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from peakguard.cli_support import cli_actor, console, open_db
from peakguard.clock import SystemClock, parse_iso
from peakguard.errors import InvalidInput
from peakguard.oncall import service
from peakguard.oncall.schedule import Segment
from peakguard.plan.service import current_plan

app = typer.Typer(help="On call: rotations, overrides, swaps, who is on duty now and next.")
rotation_app = typer.Typer(help="Rotations of a role (daily or by shift).")
override_app = typer.Typer(help="Someone covers a role for a while.")
app.add_typer(rotation_app, name="rotation")
app.add_typer(override_app, name="override")
maintenance_app = typer.Typer(help="Planned quiet times: detection raises nothing there.")
app.add_typer(maintenance_app, name="maintenance")

AT = typer.Option(None, "--at", help="the time to ask about (ISO 8601; simulated time); default now")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="oncall")


def _now(at: str | None) -> datetime:
    return parse_iso(at) if at else SystemClock().now()


def _local(value: datetime) -> str:
    return value.astimezone(ZoneInfo(current_plan().timezone)).strftime("%m-%d %H:%M")


def _who(segment: Segment | None, names: dict[int, str]) -> str:
    if segment is None:
        return "-"
    return ", ".join(names.get(p, str(p)) for p in segment.people) or "[red]nobody[/red]"


def _date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, "not a date YYYY-MM-DD: {text!r}", text=text) from None


@app.command("now")
def now_cmd(at: str | None = AT) -> None:
    """Per role: who is on duty, until when, and who is next."""
    when = _now(at)
    table = Table("role", "on duty", "until", "next")
    with open_db().transaction() as session:
        names = service.names(session)
        for d in service.now_and_next(session, current_plan(), when):
            until = _local(d.next.start) if d.next else "-"
            table.add_row(d.role, _who(d.now, names), until, _who(d.next, names))
    console.print(table)


@app.command("week")
def week_cmd(
    start: str | None = typer.Option(None, help="first local day YYYY-MM-DD; default today"),
    at: str | None = AT,
) -> None:
    """Every shift of the seven days from ``start``, per role."""
    plan = current_plan()
    first = _date(start, "start") or _now(at).astimezone(ZoneInfo(plan.timezone)).date()
    table = Table("role", "from", "to", "on duty")
    with open_db().transaction() as session:
        names = service.names(session)
        for role, segments in service.week(session, plan, first)[1].items():
            for s in segments:
                table.add_row(role, _local(s.start), _local(s.end), _who(s, names))
    console.print(table)


@app.command("gaps")
def gaps_cmd(at: str | None = AT) -> None:
    """Coverage gaps ahead for the roles the plan needs (S1.4)."""
    with open_db().transaction() as session:
        found = service.gaps(session, current_plan(), _now(at))
    for g in found:
        console.print(f"[red]nobody on call[/red] as {g.role}: {_local(g.start)} - {_local(g.end)}")
    if not found:
        console.print("[green]every role the plan needs is covered[/green]")


@app.command("tick")
def tick_cmd(at: str | None = AT) -> None:
    """One round of the on-call jobs (paging, hand-over messages, gap items), as the server runs them."""
    from peakguard.oncall.jobs import oncall_job

    oncall_job(open_db(), _now(at))
    console.print("on-call round done")


@app.command("calendar")
def calendar_cmd(
    person: str = typer.Argument(..., help="roster id or name"),
    base_url: str = typer.Option("http://127.0.0.1:8000", help="the server's address as people reach it"),
) -> None:
    """A new calendar (iCal) URL for a person; the previous one stops working."""
    with open_db().transaction() as session:
        person_id = service.find_person(session, person, "person")
        token = service.issue_calendar_token(session, cli_actor(), SystemClock().now(), person_id)
    console.print(f"{base_url.rstrip('/')}/oncall/calendar/{token}.ics", soft_wrap=True)


@rotation_app.command("add")
def rotation_add(
    name: str,
    role: str = typer.Option(..., help="the plan role it covers"),
    shift: list[str] = typer.Option(..., help="a local hand-over time HH:MM, repeatable (08:00 = daily)"),
    person: list[str] = typer.Option(..., help="roster id or name, repeatable, in turn order"),
    starts_on: str = typer.Option(..., help="local day of the first shift YYYY-MM-DD"),
    ends_on: str | None = typer.Option(None, help="local day it stops at the first hand-over"),
    layer: int = typer.Option(1, help="a higher layer wins where it has a shift"),
) -> None:
    with open_db().transaction() as session:
        rotation = service.add_rotation(
            session, cli_actor(), SystemClock().now(), current_plan(),
            name=name, role=role, shifts=shift, members=[service.find_person(session, p, "person") for p in person],
            starts_on=_date(starts_on, "starts_on") or date.today(), ends_on=_date(ends_on, "ends_on"), layer=layer,
        )  # fmt: skip
        console.print(f"[green]rotation {rotation.id} added[/green]: {role}, hand-over at {', '.join(shift)}")


@rotation_app.command("list")
def rotation_list() -> None:
    table = Table("id", "name", "role", "layer", "hand-overs", "people in turn", "from", "until")
    with open_db().transaction() as session:
        names = service.names(session)
        for r in service.list_rotations(session):
            table.add_row(
                str(r.id), r.name, r.role, str(r.layer), " ".join(r.shifts),
                " > ".join(names.get(p, str(p)) for p in r.members), str(r.starts_on), str(r.ends_on or "-"),
            )  # fmt: skip
    console.print(table)


@rotation_app.command("remove")
def rotation_remove(rotation_id: int) -> None:
    with open_db().transaction() as session:
        service.remove_rotation(session, cli_actor(), SystemClock().now(), rotation_id)
    console.print(f"rotation {rotation_id} removed")


@override_app.command("add")
def override_add(
    role: str = typer.Option(...),
    person: str = typer.Option(..., help="who covers (roster id or name)"),
    start: str = typer.Option(..., "--from", help="local time, e.g. 2026-11-11T20:00"),
    end: str = typer.Option(..., "--to", help="local time"),
    instead_of: str | None = typer.Option(None, help="whom they stand in for (default: everyone)"),
    reason: str = typer.Option(""),
) -> None:
    plan = current_plan()
    with open_db().transaction() as session:
        override = service.add_override(
            session, cli_actor(), SystemClock().now(), plan,
            role=role, person_id=service.find_person(session, person, "person"), reason=reason,
            replaces_id=service.find_person(session, instead_of, "instead_of") if instead_of else None,
            start=service.parse_local(start, "from", plan.timezone), end=service.parse_local(end, "to", plan.timezone),
        )  # fmt: skip
        console.print(f"[green]override {override.id} saved[/green]: {_local(override.start_at)} - {_local(override.end_at)}")


@override_app.command("list")
def override_list(at: str | None = AT) -> None:
    table = Table("id", "role", "who", "instead of", "from", "to", "swap", "reason")
    with open_db().transaction() as session:
        names = service.names(session)
        for o in service.list_overrides(session, _now(at)):
            table.add_row(
                str(o.id), o.role, names.get(o.person_id, "?"),
                names.get(o.replaces_id, "-") if o.replaces_id else "everyone",
                _local(o.start_at), _local(o.end_at), str(o.swap_id or ""), o.reason,
            )  # fmt: skip
    console.print(table)


@override_app.command("remove")
def override_remove(override_id: int) -> None:
    """Cancel an override (both halves of a swap)."""
    with open_db().transaction() as session:
        service.remove_override(session, cli_actor(), SystemClock().now(), override_id)
    console.print(f"override {override_id} cancelled")


@app.command("swap")
def swap_cmd(
    role: str = typer.Option(...),
    person: str = typer.Option(..., help="one person (roster id or name)"),
    shift_at: str = typer.Option(..., help="a local time inside their shift"),
    other: str = typer.Option(..., "--with", help="the other person (roster id or name)"),
    other_shift_at: str = typer.Option(..., "--their-shift-at", help="a local time inside the other's shift"),
    reason: str = typer.Option(""),
) -> None:
    """Two people trade shifts of a rotation."""
    plan = current_plan()
    with open_db().transaction() as session:
        pair = service.swap(
            session, cli_actor(), SystemClock().now(), plan,
            role=role, person_id=service.find_person(session, person, "person"),
            shift_at=service.parse_local(shift_at, "shift_at", plan.timezone),
            other_id=service.find_person(session, other, "with"), other_shift_at=service.parse_local(other_shift_at, "their_shift_at", plan.timezone),
            reason=reason,
        )  # fmt: skip
        names = service.names(session)
        for o in pair:
            console.print(f"override {o.id}: {names[o.person_id]} covers {_local(o.start_at)} - {_local(o.end_at)}")


@app.command("pages")
def pages_cmd(incident_id: int) -> None:
    """The pages of an incident's escalation: who, when, channels, answered or not."""
    from peakguard.oncall import paging

    table = Table("round", "role", "who", "paged", "acknowledge by", "state", "answered by", "channels")
    with open_db().transaction() as session:
        names = service.names(session)
        for p in paging.pages_of(session, incident_id):
            table.add_row(
                str(p.round), p.role, names.get(p.person_id, "-") if p.person_id else "[red]nobody on duty[/red]",
                _local(p.paged_at), _local(p.due_at), p.state, p.answered_by or "", p.channel,
            )  # fmt: skip
    console.print(table)


@maintenance_app.command("add")
def maintenance_add(
    scope: str = typer.Option(..., help="the area, site or shop"),
    start: str = typer.Option(..., "--from", help="local time, e.g. 2026-11-11T00:00"),
    end: str = typer.Option(..., "--to", help="local time"),
    reason: str = typer.Option(..., help="why it is planned"),
    kind: str | None = typer.Option(None, help="only this incident kind (default: every kind)"),
) -> None:
    from peakguard.oncall import noise

    plan = current_plan()
    with open_db().transaction() as session:
        window = noise.add_window(
            session, cli_actor(), SystemClock().now(), plan, scope=scope, kind=kind, reason=reason,
            start=service.parse_local(start, "from", plan.timezone), end=service.parse_local(end, "to", plan.timezone),
        )  # fmt: skip
        console.print(f"[green]maintenance window {window.id}[/green]: {scope} {kind or 'all kinds'} {_local(window.start_at)} - {_local(window.end_at)}")


@maintenance_app.command("list")
def maintenance_list(at: str | None = AT) -> None:
    from peakguard.oncall import noise

    table = Table("id", "scope", "kind", "from", "to", "reason", "by")
    with open_db().transaction() as session:
        for w in noise.list_windows(session, _now(at)):
            table.add_row(str(w.id), w.scope, w.kind or "all", _local(w.start_at), _local(w.end_at), w.reason, w.created_by)
    console.print(table)


@maintenance_app.command("end")
def maintenance_end(window_id: int) -> None:
    """End a window now (the hub reopened early)."""
    from peakguard.oncall import noise

    with open_db().transaction() as session:
        window = noise.end_window(session, cli_actor(), SystemClock().now(), window_id)
        console.print(f"maintenance window {window.id} ends {_local(window.end_at)}")


@app.command("feeds")
def feeds_cmd() -> None:
    """Each feed's last event (silent ones first) and whether it was alerted."""
    from peakguard.oncall import noise

    table = Table("feed", "last event", "alerted", "incident")
    with open_db().transaction() as session:
        for f in noise.feeds(session):
            alerted = _local(f.alerted_at) if f.alerted_at else ""
            table.add_row(f.key, _local(f.last_seen_at), alerted, str(f.incident_id or ""))
    console.print(table)


@app.command("snooze")
def snooze_cmd(
    incident_id: int,
    reason: str = typer.Option(..., help="why paging may wait"),
    until: str | None = typer.Option(None, "--until", help="local time, e.g. 2026-11-11T10:30"),
    minutes: int | None = typer.Option(None, "--minutes", help="or: this many minutes from now"),
) -> None:
    """Hold an incident's paging until a time (a level raise ends it early); audited."""
    from peakguard.oncall import snooze

    plan = current_plan()
    now = SystemClock().now()
    if (until is None) == (minutes is None):
        raise InvalidInput("until", "give --until or --minutes, one of them")
    end = service.parse_local(until, "until", plan.timezone) if until else now + timedelta(minutes=minutes or 0)
    with open_db().transaction() as session:
        mute = snooze.snooze(session, cli_actor(), now, plan, incident_id, until=end, reason=reason)
        console.print(f"incident {incident_id} snoozed until {_local(mute.until_at or end)}: {mute.reason}")


@app.command("unsnooze")
def unsnooze_cmd(incident_id: int) -> None:
    """End a snooze now: paging starts again if the incident is still open."""
    from peakguard.oncall import snooze

    with open_db().transaction() as session:
        snooze.unsnooze(session, cli_actor(), SystemClock().now(), current_plan(), incident_id)
    console.print(f"incident {incident_id} is paged again if still open")


@app.command("mutes")
def mutes_cmd(incident_id: int) -> None:
    """An incident's mutes (inhibited or snoozed) and the incidents it mutes now."""
    from peakguard.oncall import mutes

    table = Table("cause", "by", "reason", "from", "until", "ended", "how")
    with open_db().transaction() as session:
        for m in mutes.history(session, incident_id):
            table.add_row(
                m.cause, m.by, m.reason, _local(m.start_at), _local(m.until_at) if m.until_at else "",
                _local(m.ended_at) if m.ended_at else "", m.end_reason or "",
            )  # fmt: skip
        under = [f"#{i.id} {i.kind} {i.area}" for i in mutes.muted_under(session, incident_id)]
    console.print(table)
    if under:
        console.print("mutes now: " + ", ".join(under))
