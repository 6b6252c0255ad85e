"""`peakguard plan check FILE` and `peakguard plan show`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from peakguard.plan.service import current_plan, levels_by_rank, load_plan

app = typer.Typer(help="The emergency plan: check a plan file, show the levels and kinds.")
console = Console()


@app.command("check")
def check(file: Path) -> None:
    """Validate a plan file; on error name the field path and the reason (exit code 2)."""
    plan = load_plan(file)
    console.print(f"[green]OK[/green] {file}: {len(plan.levels)} levels, {len(plan.kinds)} kinds")


@app.command("show")
def show(language: str = typer.Option("zh_CN", "--lang", help="zh_CN or en")) -> None:
    """Print the levels with their deadlines and chains, then every kind with its level."""
    plan = current_plan()
    levels = Table(title=plan.name.get(language))
    for col in ("level", "name", "deadline (min)", "notify", "handler", "supervisor", "report to"):
        levels.add_column(col)
    for key, lv in levels_by_rank(plan):
        levels.add_row(
            f"[{lv.colour}]{key}[/]",
            lv.name.get(language),
            str(lv.deadline_minutes),
            ", ".join(lv.notify),
            lv.handler,
            lv.supervisor or "-",
            lv.report_to,
        )
    console.print(levels)
    kinds = Table()
    for col in ("kind", "name", "level", "thresholds", "playbook"):
        kinds.add_column(col)
    for key, kind in sorted(plan.kinds.items(), key=lambda kv: -plan.levels[kv[1].level].rank):
        thresholds = ", ".join(f">={t.min_count}: {t.level}" for t in kind.thresholds) or "-"
        kinds.add_row(key, kind.name.get(language), kind.level, thresholds, kind.playbook)
    console.print(kinds)
