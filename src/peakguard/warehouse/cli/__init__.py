"""`peakguard warehouse ...`: set up clients, bays, leases and prices, and bill (S2.1, S2.3,
S2.7). The floor's commands (goods in, stock, orders out) are in :mod:`peakguard.warehouse.cli.floor`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.table import Table

from peakguard.cli_support import cli_actor, console, open_db
from peakguard.clock import SystemClock, parse_iso
from peakguard.export_safety import for_excel
from peakguard.plan.service import current_plan
from peakguard.warehouse import billing, clients, leases
from peakguard.warehouse.cli.floor import register_floor

app = typer.Typer(help="The overflow warehouse as a 3PL service (S2.1-S2.11).", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    register_floor(app)
    root.add_typer(app, name="warehouse")


def now_at(at: str | None) -> datetime:
    return parse_iso(at) if at else SystemClock().now()


AT = typer.Option(None, help="time of the action (ISO 8601), for drills; default now")


@app.command("client-add")
def client_add(
    code: str, name: str, storage: str = typer.Option("shared", help="dedicated or shared (S2.7)")
) -> None:
    """Add a client shop."""
    with open_db().transaction() as s:
        client = clients.create_client(s, cli_actor(), now_at(None), code=code, name=name, storage=storage)
        console.print(f"client [bold]{client.id}[/bold] {client.code} ({client.storage})")


@app.command("bay-add")
def bay_add(
    code: str,
    area: str = typer.Option(..., help="square metres"),
    kind: str = typer.Option("shared", help="dedicated or shared"),
    client: int | None = typer.Option(None, help="the client of a dedicated bay"),
    racks: str = typer.Option("01", help="comma-separated rack names"),
    levels: str = typer.Option("1", help="comma-separated level names"),
) -> None:
    """Add a bay and its locations <bay>-<rack>-<level>."""
    with open_db().transaction() as s:
        now = now_at(None)
        bay = clients.create_bay(s, cli_actor(), now, code=code, area_m2=area, kind=kind, client_id=client)
        locs = clients.create_locations(
            s, cli_actor(), now, bay_id=bay.id, racks=racks.split(","), levels=levels.split(",")
        )
        console.print(f"bay [bold]{bay.id}[/bold] {bay.code}: {bay.area_m2} m2, {len(locs)} locations")


@app.command("lease-add")
def lease_add(
    client: int = typer.Option(...),
    area: str = typer.Option(..., help="square metres, 1 or more"),
    rate: str = typer.Option(..., help="daily rate per square metre"),
    start: str = typer.Option(..., help="first day, YYYY-MM-DD"),
    end: str | None = typer.Option(None, help="last day; open-ended if left out"),
    at: str | None = AT,
) -> None:
    """Lease space to a client (S2.1); reports an overflow past the plan's threshold."""
    with open_db().transaction() as s:
        lease = leases.create_lease(
            s,
            cli_actor(),
            now_at(at),
            current_plan(),
            client_id=client,
            area_m2=area,
            daily_rate=rate,
            start=date.fromisoformat(start),
            end=date.fromisoformat(end) if end else None,
        )
        used = leases.used_percent(s, lease.start)
        console.print(
            f"lease [bold]{lease.id}[/bold]: {lease.area_m2} m2 from {lease.start}; bays {used}% leased"
        )


@app.command("lease-change")
def lease_change(
    lease_id: int,
    day: str = typer.Option(..., help="first day of the new terms"),
    area: str | None = typer.Option(None),
    rate: str | None = typer.Option(None),
    at: str | None = AT,
) -> None:
    """Change a lease's area or rate from a day on."""
    with open_db().transaction() as s:
        new = leases.change_lease(
            s,
            cli_actor(),
            now_at(at),
            current_plan(),
            lease_id,
            day=date.fromisoformat(day),
            area_m2=area,
            daily_rate=rate,
        )
        console.print(f"lease [bold]{new.id}[/bold] replaces {lease_id} from {new.start}")


@app.command("lease-end")
def lease_end(
    lease_id: int, day: str = typer.Option(..., help="last billed day"), at: str | None = AT
) -> None:
    with open_db().transaction() as s:
        lease = leases.end_lease(
            s, cli_actor(), now_at(at), current_plan(), lease_id, day=date.fromisoformat(day)
        )
        console.print(f"lease {lease.id} ends on {lease.end}")


@app.command("leases")
def lease_list(client: int | None = typer.Option(None)) -> None:
    with open_db().transaction() as s:
        table = Table("id", "client", "m2", "rate", "start", "end")
        for ls in leases.list_leases(s, cli_actor(), client):
            table.add_row(
                str(ls.id),
                str(ls.client_id),
                str(ls.area_m2),
                str(ls.daily_rate),
                str(ls.start),
                str(ls.end or "-"),
            )
        console.print(table)


@app.command("price")
def price(
    code: str = typer.Argument(..., help="inbound_line, outbound_order or label"), amount: str = ""
) -> None:
    """Set a handling fee on the price list."""
    with open_db().transaction() as s:
        row = billing.set_price(s, cli_actor(), now_at(None), code=code, amount=amount)
        console.print(f"{row.code} = {row.amount}")


@app.command("invoice")
def invoice(
    client: int = typer.Option(...),
    month: str = typer.Option(..., help="YYYY-MM"),
    out: Path | None = typer.Option(None, help="also write it here: .csv or .pdf"),
    lang: str = typer.Option("zh_CN"),
    at: str | None = AT,
) -> None:
    """Issue a client's invoice for a month, and optionally export it."""
    with open_db().transaction() as s:
        inv = billing.issue_invoice(s, cli_actor(), now_at(at), current_plan(), client_id=client, month=month)
        s.flush()
        table = Table("item", "description", "quantity", "unit", "amount")
        for ln in billing.invoice_lines(s, inv):
            table.add_row(ln.code, ln.description, str(ln.quantity), str(ln.unit_price), str(ln.amount))
        table.add_row("total", "", "", "", str(inv.total))
        console.print(table)
        if out is not None:
            if out.suffix == ".pdf":
                out.write_bytes(billing.invoice_pdf(s, inv, lang))
            else:
                out.write_text(for_excel(billing.invoice_csv(s, inv, lang)), encoding="utf-8")
            console.print(f"written to {out}")
