"""`peakguard readiness ...` (S1.1-S1.8) and `peakguard drill --scenario NAME`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.live import Live
from rich.table import Table

from peakguard.cli_support import cli_actor, console, err_console, open_db, print_json
from peakguard.clock import SystemClock
from peakguard.errors import DomainError
from peakguard.i18n import DEFAULT_LANGUAGE
from peakguard.plan.service import current_plan
from peakguard.readiness import checklist, replies, timeline
from peakguard.sim.drills import SCENARIOS

if TYPE_CHECKING:
    import httpx

app = typer.Typer(help="Readiness before the day (S1.1-S1.7) and the day's timeline (S1.8).")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="readiness")
    root.command("drill")(drill)


@app.command("init")
def init() -> None:
    """Copy the plan's preparations onto the checklist (only those not there yet)."""
    with open_db().transaction() as session:
        added = checklist.init_from_plan(session, cli_actor(), SystemClock().now(), current_plan())
        console.print(f"{len(added)} checklist items added")


@app.command("list")
def list_items(risk: str | None = None, lang: str = DEFAULT_LANGUAGE) -> None:
    now = SystemClock().now()
    table = Table("id", "risk", "item", "owner", "due", "state", "evidence")
    with open_db().transaction() as session:
        for item in checklist.list_items(session, risk):
            state = (
                "[green]done"
                if item.done_at
                else ("[red]overdue" if checklist.is_overdue(item, now) else "open")
            )
            table.add_row(
                str(item.id),
                item.risk,
                checklist.text_of(item, lang),
                f"{item.owner_role}#{item.owner_id}" if item.owner_id else item.owner_role,
                item.due_at.strftime("%Y-%m-%d %H:%M"),
                state,
                item.evidence_name or (item.evidence_note or "")[:40],
            )
    console.print(table)


@app.command("assign")
def assign(item_id: int, person_id: int) -> None:
    with open_db().transaction() as session:
        item = checklist.assign(session, cli_actor(), SystemClock().now(), item_id, person_id)
        console.print(f"item {item.id} -> person {item.owner_id}")


@app.command("done")
def done(
    item_id: int,
    note: str | None = typer.Option(None, help="what was done, where the proof is"),
    file: Path | None = typer.Option(None, exists=True, dir_okay=False, help="a file as evidence"),
) -> None:
    with open_db().transaction() as session:
        item = checklist.complete(
            session,
            cli_actor(),
            SystemClock().now(),
            item_id,
            note=note,
            file_name=file.name if file else None,
            content=file.read_bytes() if file else None,
        )
        console.print(f"item {item.id} done")


@app.command("reopen")
def reopen(item_id: int, reason: str = typer.Option(...)) -> None:
    with open_db().transaction() as session:
        checklist.reopen(session, cli_actor(), SystemClock().now(), item_id, reason)
        console.print(f"item {item_id} reopened")


@app.command("score")
def score(lang: str = DEFAULT_LANGUAGE, json_out: bool = typer.Option(False, "--json")) -> None:
    """Readiness per risk and overall: the share of items done, and what is overdue."""
    with open_db().transaction() as session:
        result = checklist.scores(session, current_plan(), SystemClock().now(), lang)
    if json_out:
        print_json(
            {"percent": result.percent, "risks": [{**r.__dict__, "percent": r.percent} for r in result.risks]}
        )
        return
    table = Table("S1", "risk", "done", "overdue", "%")
    for r in result.risks:
        colour = "green" if r.percent == 100 else ("red" if r.overdue else "yellow")
        table.add_row(r.section, r.name, f"{r.done}/{r.total}", str(r.overdue), f"[{colour}]{r.percent}%")
    table.add_row(
        "", "[bold]overall", f"{result.done}/{result.total}", str(result.overdue), f"{result.percent}%"
    )
    console.print(table)


@app.command("timeline")
def day_timeline(lang: str = DEFAULT_LANGUAGE) -> None:
    """The day's reminders (S1.8) and whether each was sent."""
    plan = current_plan()
    table = Table("at", "roles", "advice", "state")
    with open_db().transaction() as session:
        for point in timeline.points(session, plan, SystemClock().now()):
            table.add_row(
                point.reminder.at,
                ", ".join(point.reminder.roles),
                point.reminder.text.get(lang),
                point.status,
            )
    console.print(table)


@app.command("replies")
def quick_replies(kind: str | None = None, lang: str = DEFAULT_LANGUAGE) -> None:
    """Quick replies to buyers (S1.2, S1.4, S1.5), ready to paste."""
    plan = current_plan()
    for reply in replies.for_kind(plan, kind, lang) if kind else replies.all_replies(plan, lang):
        console.print(f"[bold]{reply.title}[/bold] ({reply.key})\n{reply.text}\n")


def drill(
    scenario: str = typer.Option(..., help=f"one of: {', '.join(SCENARIOS)}"),
    url: str | None = typer.Option(None, help="a running server; without it, the configured database"),
    token: str | None = typer.Option(None, envvar="PEAKGUARD_TOKEN", help="a token with readiness:write"),
    wait: float = typer.Option(0, help="follow the drill this many seconds, until resolved"),
) -> None:
    """Inject a simulated fault into the running system and time the team's answer against the
    deadline. The running server's detector opens the incident; the result stays on the
    readiness page."""
    # Imported here, for this command alone: drills bring the monitor's ingest (Polars and
    # Numba), a second of start-up every other readiness command paid (issue 14).
    import httpx

    from peakguard.readiness import drills

    if url:
        if not token:
            raise DomainError("--token (or PEAKGUARD_TOKEN) is needed with --url", field="token")
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            result = _call(client.post("/api/v1/readiness/drills", json={"scenario": scenario}))
            _follow(lambda: _call(client.get(f"/api/v1/readiness/drills/{result['id']}")), result, wait)
        return
    db = open_db()
    with db.transaction() as session:
        started = drills.start(session, cli_actor(), SystemClock().now(), current_plan(), scenario)
        result = _as_dict(started)

    def poll() -> dict[str, Any]:
        with db.transaction() as session:
            return _as_dict(drills.refresh(session, SystemClock().now(), drills.get(session, result["id"])))

    _follow(poll, result, wait)


def _follow(poll: Any, first: dict[str, Any], wait: float) -> None:
    err_console.print(f"drill {first['id']}: injected {first['events']} events as {first['scope']}")
    state = first
    deadline = time.monotonic() + wait
    with Live(_drill_table(state), console=err_console, refresh_per_second=2) as live:
        while time.monotonic() < deadline and state["resolved_seconds"] is None:
            time.sleep(1)
            state = poll()
            live.update(_drill_table(state))
    print_json(state)


def _drill_table(d: dict[str, Any]) -> Table:
    table = Table("drill", "scenario", "scope", "incident", "acknowledged", "resolved", "deadline", "outcome")
    table.add_row(
        str(d["id"]),
        d["scenario"],
        d["scope"],
        str(d["incident_id"] or "waiting"),
        _mmss(d["acknowledged_seconds"]),
        _mmss(d["resolved_seconds"]),
        f"{d['deadline_minutes']} min" if d["deadline_minutes"] else "-",
        d["outcome"],
    )
    return table


def _mmss(seconds: int | None) -> str:
    return "-" if seconds is None else f"{seconds // 60}:{seconds % 60:02d}"


def _as_dict(d: Any) -> dict[str, Any]:
    keys = (
        "id",
        "scenario",
        "kind",
        "scope",
        "events",
        "incident_id",
        "acknowledged_seconds",
        "resolved_seconds",
        "deadline_minutes",
        "outcome",
    )
    return {k: getattr(d, k) for k in keys} | {"started_at": d.started_at.isoformat()}


def _call(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        error = body.get("error", {})
        raise DomainError(error.get("message", response.text), field=error.get("field"))
    return body
