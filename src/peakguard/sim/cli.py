"""`peakguard sim` and `peakguard replay`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from peakguard.cli_support import console, counting_progress, err_console
from peakguard.clock import ScaledClock, parse_iso
from peakguard.plan.service import current_plan
from peakguard.sim.generator import generate
from peakguard.sim.replay import replay as run_replay


def register(root: typer.Typer) -> None:
    root.command("sim")(sim)
    root.command("replay")(replay)


def default_start() -> datetime:
    """Double 11 of this year, midnight in the plan's time zone."""
    zone = ZoneInfo(current_plan().timezone)
    return datetime(datetime.now(zone).year, 11, 11, tzinfo=zone)


def sim(
    parcels: int = typer.Option(10_000, min=0),
    areas: int = typer.Option(8, min=4),
    seed: int = typer.Option(11),
    out: Path = typer.Option(..., help="NDJSON file of events, in time order"),
    truth: Path = typer.Option(..., help="JSON file listing the injected faults"),
    start: str | None = typer.Option(None, help="the day's start (ISO 8601); default Nov 11 00:00 local"),
) -> None:
    """Generate a synthetic peak day (S1.8 curve) with injected faults and its truth file."""
    day_start = parse_iso(start, "start") if start else default_start()
    day = generate(current_plan(), parcels=parcels, areas=areas, seed=seed, start=day_start)
    with out.open("w", encoding="utf-8") as fh, counting_progress("writing") as progress:
        task = progress.add_task("events", total=len(day.events))
        for i, event in enumerate(day.events, start=1):
            fh.write(json.dumps(event, ensure_ascii=False) + "\n")
            if i % 10_000 == 0:
                progress.update(task, completed=i)
        progress.update(task, completed=len(day.events))
    truth.write_text(json.dumps(day.truth(), ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"{len(day.events)} events -> {out}; {len(day.faults)} injected faults -> {truth}")


def replay(
    file: Path,
    url: str = typer.Option("http://127.0.0.1:8000"),
    token: str = typer.Option(..., envvar="PEAKGUARD_TOKEN", help="a token with events:write"),
    speed: float = typer.Option(60, help="simulated seconds per wall-clock second"),
    start: str | None = typer.Option(None, help="the day's start; default Nov 11 00:00 local"),
) -> None:
    """Stream an event file into a running server, paced by the events' timestamps."""
    day_start = parse_iso(start, "start") if start else default_start()
    events = [json.loads(line) for line in file.open(encoding="utf-8") if line.strip()]
    err_console.print(
        f"run the server with PEAKGUARD_CLOCK_START={day_start.isoformat()} PEAKGUARD_CLOCK_SPEED={speed:g}"
    )
    clock = ScaledClock(day_start, speed)
    columns = (
        TextColumn("[bold]replay {task.fields[at]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console) as progress:
        task = progress.add_task("replay", total=len(events), at="")
        stats = run_replay(
            events,
            url,
            token,
            clock,
            on_progress=lambda sent, at: progress.update(task, completed=sent, at=at.strftime("%H:%M")),
        )
    console.print(
        f"sent {stats.sent}: accepted {stats.accepted}, duplicates {stats.duplicates}, "
        f"rejected {stats.rejected}"
    )
