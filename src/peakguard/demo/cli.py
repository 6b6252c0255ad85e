"""`peakguard demo`."""

from __future__ import annotations

from pathlib import Path

import typer

from peakguard.clock import parse_iso
from peakguard.demo.run import run_demo
from peakguard.sim.cli import default_start


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)


def demo(
    port: int = typer.Option(8000),
    host: str = typer.Option("127.0.0.1"),
    speed: float = typer.Option(60, help="simulated seconds per real second"),
    parcels: int = typer.Option(20_000, min=0, help="normal parcels in the simulated day"),
    seed: int = typer.Option(11),
    start: str | None = typer.Option(None, help="the simulated day's start; default Nov 11 00:00 local"),
    db: Path = typer.Option(Path("peakguard-demo.db"), help="demo database file, made fresh each run"),
    duration: float | None = typer.Option(None, help="stop after this many real seconds (default: Ctrl-C)"),
    inbox_port: int | None = typer.Option(
        None, help="port of the demo's notification inbox on 127.0.0.1 (default: --port + 1; 0 any free)"
    ),
) -> None:
    """A live demo of a simulated peak day on the embedded default (SQLite)."""
    run_demo(
        db_path=db,
        host=host,
        port=port,
        speed=speed,
        start=parse_iso(start, "start") if start else default_start(),
        parcels=parcels,
        seed=seed,
        duration=duration,
        inbox_port=port + 1 if inbox_port is None else inbox_port,
    )
