"""`peakguard scorecard ...`: response times (per level, person, outlet or week) and the outlet
scorecard with the next penalty step (issue 17; S3.7), as Rich tables or JSON."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.table import Table

from peakguard.cli_support import console, open_db, print_json
from peakguard.clock import SystemClock, parse_iso
from peakguard.plan.service import current_plan
from peakguard.scorecard import numbers

app = typer.Typer(help="The numbers that drive the penalty ladder (S3.7): response times, outlet scorecard.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="scorecard")


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


@app.command("times")
def times_cmd(
    by: str = typer.Option("level", help="level, person, outlet or week"),
    since: str | None = typer.Option(None, help="only incidents opened from this time (ISO 8601)"),
    kind: str | None = typer.Option(None, help="only this incident kind"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Minutes to acknowledge and to resolve (mean and longest), incidents, breaches."""
    plan = current_plan()
    with open_db().transaction() as session:
        rows = numbers.response_times(
            session,
            plan,
            SystemClock().now(),
            by,
            since=parse_iso(since, "since") if since else None,
            kind=kind,
        )
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    table = Table(
        by,
        "incidents",
        "acknowledged",
        "ack mean min",
        "ack max min",
        "resolved",
        "resolve mean min",
        "resolve max min",
        "breached",
    )
    for r in rows:
        table.add_row(
            r.key, str(r.incidents), str(r.acknowledged), _minutes(r.ack_mean_minutes), _minutes(r.ack_max_minutes),
            str(r.resolved), _minutes(r.resolve_mean_minutes), _minutes(r.resolve_max_minutes),
            f"[red]{r.breached}[/red]" if r.breached else "0",
        )  # fmt: skip
    console.print(table)


@app.command("outlets")
def outlets_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table")) -> None:
    """Per outlet: penalty-kind incidents, breaches, penalties so far, the suggested next step."""
    plan = current_plan()
    with open_db().transaction() as session:
        cards = numbers.outlets(session, plan)
    if as_json:
        print_json([{**asdict(c), "next_step": c.next_step.id} for c in cards])
        return
    table = Table("outlet", "incidents", "breached", "penalties so far", "next step")
    for c in cards:
        given = ", ".join(f"{step} x{n}" for step, n in c.penalties.items()) or "-"
        table.add_row(
            c.outlet, str(c.incidents), str(c.breached), given, f"{c.next_step.id} ({c.next_step.en})"
        )
    console.print(table)
