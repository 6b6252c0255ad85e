"""`peakguard compensation list|add|terms|paid|export` (S1.5)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from peakguard.cli_support import cli_actor, console, open_db
from peakguard.clock import SystemClock
from peakguard.compensation import service
from peakguard.export_safety import for_excel

app = typer.Typer(help="Coupon compensation register (S1.5): affected orders, method, amount, paid.")


@app.command("list")
def list_entries(status: str | None = None) -> None:
    table = Table("id", "order", "shop", "order amount", "method", "amount", "status", "source")
    with open_db().transaction() as session:
        for e in service.entries(session, status):
            table.add_row(
                str(e.id),
                e.order_id,
                e.shop,
                str(e.order_amount or "-"),
                e.method or "-",
                str(e.amount or "-"),
                e.status,
                e.source,
            )
    console.print(table)


@app.command("add")
def add(order_id: str, shop: str = typer.Option(...), amount: str | None = typer.Option(None)) -> None:
    """Register an affected order by hand."""
    with open_db().transaction() as session:
        e = service.add(
            session,
            cli_actor(),
            SystemClock().now(),
            order_id=order_id,
            shop=shop,
            order_amount=service.parse_money("amount", amount) if amount else None,
        )
        console.print(f"registered #{e.id} {e.order_id}")


@app.command("terms")
def terms(
    entry_id: int,
    method: str = typer.Option(..., help="cash_back or price_cut"),
    amount: str = typer.Option(...),
) -> None:
    with open_db().transaction() as session:
        e = service.set_terms(
            session, cli_actor(), SystemClock().now(), entry_id, method=method, amount=amount
        )
        console.print(f"#{e.id}: {e.method} {e.amount}")


@app.command("paid")
def paid(entry_id: int) -> None:
    with open_db().transaction() as session:
        service.mark_paid(session, cli_actor(), SystemClock().now(), entry_id)
    console.print(f"#{entry_id} paid")


@app.command("export")
def export(out: Path = typer.Option(..., help="CSV file to write")) -> None:
    with open_db().transaction() as session:
        out.write_text(for_excel(service.export_csv(session)), encoding="utf-8")
    console.print(f"wrote {out}")
