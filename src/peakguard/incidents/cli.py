"""`peakguard incident ...` and `peakguard tick [--at ISO]`. Each command imports the incident
modules it calls, not all of them at the top: together they map most of the tables and take
about a quarter of a second, which a one-shot command paid on every start (issue 14)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import cast

import typer

from peakguard.cli_support import cli_actor, console, open_db, print_json
from peakguard.clock import SystemClock, parse_iso
from peakguard.errors import InvalidInput
from peakguard.plan.service import current_plan

app = typer.Typer(help="Graded incidents (S3.3-S3.7): open, acknowledge, resolve, review.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="incident")
    root.command("tick")(tick)


def _now(at: str | None) -> datetime:
    return parse_iso(at) if at else SystemClock().now()


@app.command("open")
def open_incident(
    kind: str = typer.Option(..., help="an incident kind from the plan (peakguard plan show)"),
    area: str = typer.Option(..., help="delivery area, outlet, site or shop"),
    count: int = typer.Option(1, help="parcels or cases in this report"),
    mode: str = typer.Option("add", help="add to the active incident's count, or replace it"),
    summary: str = typer.Option("", help="what happened"),
    at: str | None = typer.Option(None, help="report time (ISO 8601), for drills; default now"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open an incident, or update the active one of the same kind and area."""
    from peakguard.incidents import presenters, reporting

    plan = current_plan()
    if mode not in ("add", "replace"):
        raise InvalidInput("mode", "must be add or replace")
    with open_db().transaction() as session:
        result = reporting.report(
            session,
            cli_actor(),
            _now(at),
            kind=kind,
            area=area,
            count=count,
            mode=cast(reporting.CountMode, mode),
            summary=summary,
            plan=plan,
        )
        out = presenters.report_out(session, result, plan)
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    verb = "opened" if out.created else ("raised" if out.raised_from else "updated")
    console.print(
        f"[bold]#{out.id}[/bold] {verb}: {out.kind} in {out.area} x{out.count} -> "
        f"[{out.level_colour}]{out.level}[/] {out.level_name['zh_CN']}"
    )
    console.print(
        f"  deadline {out.deadline_at.isoformat()} ({out.deadline_minutes} min); handler "
        f"{out.handler_role}; notify {', '.join(out.notify_roles)}; result to {out.report_to_role}"
    )


@app.command("list")
def list_incidents(
    all_: bool = typer.Option(False, "--all", help="include resolved and closed"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    from rich.table import Table

    from peakguard.incidents import presenters, queries

    plan = current_plan()
    with open_db().transaction() as session:
        rows = queries.list_incidents(session, status=None if all_ else ("open", "acknowledged"), plan=plan)
        outs = [presenters.summary(session, i, plan) for i in rows]
    if as_json:
        print_json([o.model_dump(mode="json") for o in outs])
        return
    table = Table("id", "level", "kind", "area", "count", "status", "deadline", "handler")
    for o in outs:
        deadline = ("[red]BREACHED[/red] " if o.breached else "") + o.deadline_at.isoformat(
            timespec="minutes"
        )
        table.add_row(
            str(o.id),
            f"[{o.level_colour}]{o.level}[/]",
            o.kind,
            o.area,
            str(o.count),
            o.status,
            deadline,
            o.assignee or o.handler_role,
        )
    console.print(table)


@app.command("show")
def show(incident_id: int) -> None:
    """Everything about one incident, as JSON."""
    from peakguard.incidents import presenters, queries

    plan = current_plan()
    with open_db().transaction() as session:
        print_json(
            presenters.detail(session, queries.get(session, incident_id), plan).model_dump(mode="json")
        )


@app.command("ack")
def acknowledge(incident_id: int, at: str | None = typer.Option(None)) -> None:
    from peakguard.incidents import lifecycle

    with open_db().transaction() as session:
        lifecycle.acknowledge(session, cli_actor(), _now(at), incident_id)
    console.print(f"#{incident_id} acknowledged")


@app.command("note")
def note(incident_id: int, text: str) -> None:
    from peakguard.incidents import lifecycle

    with open_db().transaction() as session:
        lifecycle.add_note(session, cli_actor(), SystemClock().now(), incident_id, text)
    console.print(f"#{incident_id}: note added")


@app.command("level")
def set_level(
    incident_id: int,
    to: str = typer.Option(..., "--to"),
    reason: str = typer.Option(..., help="why the level changes by hand"),
) -> None:
    from peakguard.incidents import reporting

    with open_db().transaction() as session:
        incident = reporting.set_level(session, cli_actor(), SystemClock().now(), incident_id, to, reason)
        console.print(f"#{incident.id} is now {incident.level}, deadline {incident.deadline_at.isoformat()}")


@app.command("resolve")
def resolve(
    incident_id: int,
    result: str = typer.Option(..., help="the result report, sent to the plan's role"),
    at: str | None = typer.Option(None),
) -> None:
    from peakguard.incidents import lifecycle

    with open_db().transaction() as session:
        incident = lifecycle.resolve(session, cli_actor(), _now(at), incident_id, result)
        console.print(f"#{incident.id} resolved; result reported to {incident.report_to_role}")


@app.command("step")
def step(
    incident_id: int,
    step_id: int,
    state: str = typer.Option("done", help="done, skipped or pending"),
    note: str = typer.Option(""),
) -> None:
    from peakguard.incidents import reviews

    with open_db().transaction() as session:
        s = reviews.set_step(session, cli_actor(), SystemClock().now(), incident_id, step_id, state, note)  # type: ignore[arg-type]
        console.print(f"step {s.position} {s.state}")


@app.command("review")
def review(
    incident_id: int,
    root_cause: str = typer.Option(...),
    accountable_type: str | None = typer.Option(None, help="person or outlet"),
    accountable_name: str | None = typer.Option(None),
    penalty: str | None = typer.Option(None, help="a step of the plan's penalty ladder"),
    disclosure: str = typer.Option(""),
) -> None:
    """Write the after-action review (S3.7)."""
    from peakguard.incidents import reviews

    with open_db().transaction() as session:
        reviews.save_review(
            session,
            cli_actor(),
            SystemClock().now(),
            incident_id,
            root_cause=root_cause,
            accountable_type=accountable_type,
            accountable_name=accountable_name,
            penalty_step=penalty,
            disclosure_note=disclosure,
        )
    console.print(f"#{incident_id}: review saved")


@app.command("measure")
def measure(
    incident_id: int,
    description: str,
    owner: str = typer.Option(...),
    due: str = typer.Option(..., help="YYYY-MM-DD"),
) -> None:
    """Add a preventive measure with owner and due date (S3.7 (2))."""
    from peakguard.incidents import reviews

    try:
        due_date = date.fromisoformat(due)
    except ValueError as exc:
        raise InvalidInput("due", "not a date YYYY-MM-DD: {due!r}", due=due) from exc
    with open_db().transaction() as session:
        m = reviews.add_measure(
            session,
            cli_actor(),
            SystemClock().now(),
            incident_id,
            description=description,
            owner=owner,
            due_date=due_date,
        )
        console.print(f"measure {m.id} added")


@app.command("measure-done")
def measure_done(measure_id: int, note: str = typer.Option("")) -> None:
    from peakguard.incidents import reviews

    with open_db().transaction() as session:
        reviews.complete_measure(session, cli_actor(), SystemClock().now(), measure_id, note)
    console.print(f"measure {measure_id} done")


@app.command("close")
def close(incident_id: int) -> None:
    from peakguard.incidents import lifecycle

    with open_db().transaction() as session:
        lifecycle.close(session, cli_actor(), SystemClock().now(), incident_id)
    console.print(f"#{incident_id} closed")


@app.command("export")
def export_review(
    incident_id: int,
    out: Path = typer.Option(..., help="file to write; .pdf gives PDF, anything else Markdown"),
    lang: str = typer.Option("zh_CN", "--lang"),
) -> None:
    """Export the after-action review as Markdown or PDF."""
    from peakguard.incidents import export, queries

    plan = current_plan()
    with open_db().transaction() as session:
        incident = queries.get(session, incident_id)
        if out.suffix.lower() == ".pdf":
            out.write_bytes(export.pdf(session, incident, plan, lang))
        else:
            out.write_text(export.markdown(session, incident, plan, lang), encoding="utf-8")
    console.print(f"wrote {out}")


def tick(at: str | None = typer.Option(None, help="simulated time (ISO 8601); default now")) -> None:
    """Escalate every incident past its deadline, exactly once (for drills, tests and cron)."""
    from peakguard.incidents import deadlines

    now = _now(at)
    ids = deadlines.tick_job(open_db(), now)
    console.print(f"{len(ids)} escalated" + (f": {', '.join(f'#{i}' for i in ids)}" if ids else ""))
