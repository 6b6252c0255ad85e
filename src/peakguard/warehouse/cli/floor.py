"""`peakguard warehouse ...` on the floor: SKUs and labels, inbound, pallets, stock, orders,
picking by scan, packing and hand-off (S2.4-S2.11)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from peakguard.cli_support import cli_actor, console, open_db
from peakguard.clock import SystemClock
from peakguard.errors import InvalidInput
from peakguard.export_safety import for_excel
from peakguard.plan.service import current_plan
from peakguard.warehouse import carriers, inbound, outbound, picking, skus, stock


def _pairs(values: list[str], field: str) -> list[tuple[str, int]]:
    out = []
    for value in values:
        sku, _, qty = value.partition("=")
        if not qty.lstrip("-").isdigit():
            raise InvalidInput(field, "{value!r} is not SKU=QUANTITY", value=value)
        out.append((sku, int(qty)))
    return out


def _write(body: bytes | str, out: Path) -> None:
    if isinstance(body, bytes):
        out.write_bytes(body)
    else:
        out.write_text(body, encoding="utf-8")
    console.print(f"written to {out}")


def register_floor(app: typer.Typer) -> None:
    @app.command("sku-add")
    def sku_add(
        client: int = typer.Option(...),
        code: str = typer.Option(...),
        name: str = typer.Option(...),
        barcode: str | None = typer.Option(None, help="EAN-13 or UPC-A; left out, a Code128 code is made"),
    ) -> None:
        """Add a SKU (S2.6)."""
        with open_db().transaction() as s:
            sku = skus.create_sku(
                s, cli_actor(), SystemClock().now(), client_id=client, code=code, name=name, barcode=barcode
            )
            console.print(f"SKU [bold]{sku.id}[/bold] {sku.code}: {sku.barcode} ({sku.barcode_kind})")

    @app.command("sku-label")
    def sku_label(
        sku_id: int, out: Path, fmt: str = typer.Option("pdf", "--format", help="pdf or zpl")
    ) -> None:
        """Write a 60 x 40 mm product label."""
        with open_db().transaction() as s:
            _write(skus.sku_label(s, cli_actor(), SystemClock().now(), current_plan(), sku_id, fmt=fmt), out)

    @app.command("inbound")
    def inbound_plan(
        client: int = typer.Option(...),
        line: list[str] = typer.Option(..., help="SKU=EXPECTED, repeat"),
        notes: str = "",
    ) -> None:
        """Announce an inbound plan (S2.4)."""
        lines = [inbound.PlanLineIn(sku, qty) for sku, qty in _pairs(line, "line")]
        with open_db().transaction() as s:
            plan = inbound.create_plan(
                s, cli_actor(), SystemClock().now(), client_id=client, lines=lines, notes=notes
            )
            console.print(f"inbound plan [bold]{plan.id}[/bold], {len(lines)} lines")

    @app.command("receive")
    def receive(
        plan_id: int,
        barcode: str = typer.Option(...),
        qty: int = typer.Option(...),
        qc: str = typer.Option("pass", help="pass or fail"),
        reason: str = "",
    ) -> None:
        """Receive a scanned line with its QC result (S2.5, S2.6)."""
        with open_db().transaction() as s:
            inbound.receive(
                s,
                cli_actor(),
                SystemClock().now(),
                plan_id=plan_id,
                barcode=barcode,
                quantity=qty,
                qc=qc,
                reason=reason,
            )
            console.print(f"received {qty} x {barcode}: {qc}")

    @app.command("close-inbound")
    def close_inbound(plan_id: int) -> None:
        """Finish receiving; print the discrepancies."""
        with open_db().transaction() as s:
            off = inbound.close_plan(s, cli_actor(), SystemClock().now(), current_plan(), plan_id)
        for d in off:
            console.print(
                f"[yellow]{d.sku}[/yellow]: expected {d.expected}, received {d.received}, "
                f"failed QC {d.failed} ({d.difference:+d})"
            )
        console.print(f"plan {plan_id} closed, {len(off)} discrepancies")

    @app.command("pallet")
    def pallet(
        client: int = typer.Option(...),
        item: list[str] = typer.Option(..., help="SKU=QUANTITY, repeat"),
        location: str | None = typer.Option(None, help="put away here; default the suggested location"),
        override: bool = typer.Option(
            False, "--override", help="a supervisor's override: put it at --location, not the suggested one"
        ),
    ) -> None:
        """Palletize received stock and put the pallet away (S2.5, S2.7)."""
        items = [inbound.PalletItem(sku, qty) for sku, qty in _pairs(item, "item")]
        with open_db().transaction() as s:
            now = SystemClock().now()
            made = inbound.palletize(s, cli_actor(), now, client_id=client, items=items)
            where = location or inbound.suggest_location(s, cli_actor(), made.id).code
            inbound.putaway(s, cli_actor(), now, pallet_id=made.id, location_code=where, override=override)
            console.print(f"pallet [bold]{made.code}[/bold] put away at {where}")

    @app.command("relocate")
    def relocate(
        client: int = typer.Option(...),
        sku: str = typer.Option(...),
        source: str = typer.Option(..., "--from"),
        target: str = typer.Option(..., "--to"),
        qty: int = typer.Option(...),
    ) -> None:
        """Move unreserved stock between locations (S2.5)."""
        with open_db().transaction() as s:
            inbound.relocate(
                s,
                cli_actor(),
                SystemClock().now(),
                client_id=client,
                sku=sku,
                from_location=source,
                to_location=target,
                quantity=qty,
            )
        console.print(f"moved {qty} x {sku} from {source} to {target}")

    @app.command("stock")
    def stock_cmd(
        client: int | None = typer.Option(None),
        fmt: str = typer.Option("table", "--format", help="table, csv or ndjson (S2.8)"),
    ) -> None:
        """Real-time stock per SKU and place."""
        with open_db().transaction() as s:
            rows = stock.query(s, cli_actor(), client)
        if fmt != "table":
            print(stock.export(rows, fmt), end="")
            return
        table = Table("client", "sku", "place", "location", "on hand", "reserved", "available")
        for r in rows:
            table.add_row(
                str(r.client_id),
                r.sku,
                r.place,
                r.location or "-",
                str(r.on_hand),
                str(r.reserved),
                str(r.available),
            )
        console.print(table)

    @app.command("order")
    def order(
        client: int = typer.Option(...),
        ref: str = typer.Option(...),
        carrier: str = typer.Option(...),
        line: list[str] = typer.Option(..., help="SKU=QUANTITY, repeat"),
        notes: str = "",
    ) -> None:
        """Take an outbound order and allocate it (S2.4, S2.9)."""
        lines = [outbound.OrderLineIn(sku, qty) for sku, qty in _pairs(line, "line")]
        with open_db().transaction() as s:
            now = SystemClock().now()
            made = outbound.create_order(
                s,
                cli_actor(),
                now,
                current_plan(),
                client_id=client,
                ref=ref,
                carrier=carrier,
                lines=lines,
                notes=notes,
            )
            tasks = outbound.allocate(s, cli_actor(), now, made.id)
            console.print(f"order [bold]{made.id}[/bold] {ref}: {len(tasks)} pick tasks")

    @app.command("wave")
    def wave(order: list[int] = typer.Option(None, help="order ids; default every allocated order")) -> None:
        """Release allocated orders to the pickers; print the tasks in walking order."""
        with open_db().transaction() as s:
            made = outbound.create_wave(s, cli_actor(), SystemClock().now(), order or None)
            table = Table("task", "order", "location", "sku", "barcode", "qty", title=f"wave {made.id}")
            for t, loc, sku in outbound.wave_tasks(s, made.id):
                table.add_row(str(t.id), str(t.order_id), loc.code, sku.code, sku.barcode, str(t.quantity))
        console.print(table)

    @app.command("pick")
    def pick(
        task_id: int, location: str = typer.Option(...), barcode: str = typer.Option(...), qty: int = 1
    ) -> None:
        """Confirm a pick by its scans (S2.9); prints the next task."""
        with open_db().transaction() as s:
            result = picking.scan_confirm(
                s, cli_actor(), SystemClock().now(), task_id, location, barcode, qty
            )
        t, n = result.task, result.next_task
        console.print(f"task {t.id}: {t.picked}/{t.quantity} {t.status}")
        console.print(
            f"next: task {n.id} at {n.location}, {n.quantity - n.picked} x {n.sku}" if n else "wave done"
        )

    @app.command("pack")
    def pack(
        order_id: int,
        weight: str = typer.Option(..., help="kg"),
        waybill: Path | None = typer.Option(None, help="write the 100 x 150 mm waybill PDF here"),
    ) -> None:
        """Pack a picked order; draws its tracking number."""
        with open_db().transaction() as s:
            package = picking.pack(
                s, cli_actor(), SystemClock().now(), current_plan(), order_id, weight_kg=weight
            )
            console.print(f"order {order_id}: {package.carrier} {package.tracking_no}")
            if waybill is not None:
                _write(carriers.waybill(s, cli_actor(), current_plan(), order_id), waybill)

    @app.command("handover")
    def handover(
        carrier: str, out: Path | None = typer.Option(None, help="write the manifest CSV here")
    ) -> None:
        """Hand every packed parcel of a carrier over: today's manifest (S2.11)."""
        with open_db().transaction() as s:
            manifest = carriers.hand_over(s, cli_actor(), SystemClock().now(), current_plan(), carrier)
            s.flush()
            body = carriers.manifest_csv(s, manifest.id)
        console.print(f"manifest {manifest.id}: {carrier} {manifest.day}, {body.count(chr(10)) - 1} parcels")
        if out is not None:
            _write(for_excel(body), out)
