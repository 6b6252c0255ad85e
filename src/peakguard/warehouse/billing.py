"""Billing (S2.1): storage per lease per day (square metres x days x daily rate, pro rata by
day), handling fees from the price list per inbound line, outbound order and label, one invoice
per client and month, exported as CSV and PDF. Money is Decimal from the column to the file."""

from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound
from peakguard.export_safety import csv_document, pdf_text
from peakguard.i18n import gettext as _
from peakguard.plan.schemas import Plan
from peakguard.warehouse.clients import get_client
from peakguard.warehouse.models import Client, Fee, Invoice, InvoiceLine, Lease, Price
from peakguard.warehouse.scope import client_filter, get_owned, local_day
from peakguard.warehouse.validation import decimal_field

FEE_CODES = ("inbound_line", "outbound_order", "label")
FEE_NAMES = {
    "storage": "Storage",
    "inbound_line": "Inbound handling (per line)",
    "outbound_order": "Outbound handling (per order)",
    "label": "Labels",
}
"""An invoice line's kind as the client reads it (issue 16: the codes showed as ``storage``)."""
_LEASE_TEXT = re.compile(r"lease (\d+): (\S+) m2 x (\d+) days \((\S+) - (\S+)\)")


def described(lang: str, line: InvoiceLine) -> tuple[str, str]:
    """(kind, description) of an issued line in the reader's language. Lines are frozen when
    issued with an English description; a lease line's facts are read back from it."""
    name = _(lang, FEE_NAMES.get(line.code, line.code))
    lease = _LEASE_TEXT.fullmatch(line.description)
    if lease:
        number, area, days, start, end = lease.groups()
        text = _(
            lang,
            "Lease {lease}: {area} m² × {days} days ({start} to {end})",
            lease=number,
            area=area,
            days=days,
            start=start,
            end=end,
        )
        return name, text
    return name, name if line.code in FEE_NAMES else line.description


CENT = Decimal("0.01")


def set_price(session: Session, actor: Actor, now: datetime, *, code: str, amount: object) -> Price:
    if code not in FEE_CODES:
        raise InvalidInput("code", "must be one of {choices}", choices=", ".join(FEE_CODES))
    value = decimal_field(amount, "amount", Decimal(0)).quantize(CENT)
    price = session.get(Price, code)
    if price is None:
        price = Price(code=code, amount=value)
        session.add(price)
    else:
        price.amount = value
    record(session, actor, "warehouse.price.set", "wh_price", code, now, amount=value)
    return price


def price_list(session: Session) -> dict[str, Decimal]:
    prices = {p.code: p.amount for p in session.scalars(select(Price))}
    return {code: prices.get(code, Decimal("0.00")) for code in FEE_CODES}


def charge(
    session: Session, now: datetime, plan: Plan, *, client_id: int, code: str, quantity: int, ref: str
) -> Fee:
    """Record a handling fee at today's price; the caller's write is already audited."""
    price = session.get(Price, code)
    fee = Fee(
        client_id=client_id,
        day=local_day(now, plan),
        code=code,
        quantity=quantity,
        unit_price=price.amount if price else Decimal("0.00"),
        ref=ref,
    )
    session.add(fee)
    return fee


def parse_month(month: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError as exc:
        raise InvalidInput("month", "must be YYYY-MM") from exc
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass(frozen=True)
class Line:
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def compute_lines(session: Session, client_id: int, month: str) -> list[Line]:
    first, last = parse_month(month)
    lines = []
    leases = session.scalars(
        select(Lease)
        .where(
            Lease.client_id == client_id, Lease.start <= last, or_(Lease.end.is_(None), Lease.end >= first)
        )
        .order_by(Lease.start, Lease.id)
    )
    for lease in leases:
        start = max(lease.start, first)
        end = min(lease.end or last, last)
        days = (end - start).days + 1
        quantity = lease.area_m2 * days
        lines.append(
            Line(
                "storage",
                f"lease {lease.id}: {lease.area_m2} m2 x {days} days ({start} - {end})",
                quantity,
                lease.daily_rate,
                (quantity * lease.daily_rate).quantize(CENT, ROUND_HALF_UP),
            )
        )
    fees = session.execute(
        select(Fee.code, Fee.unit_price, func.sum(Fee.quantity))
        .where(Fee.client_id == client_id, Fee.day >= first, Fee.day < last + timedelta(days=1))
        .group_by(Fee.code, Fee.unit_price)
        .order_by(Fee.code, Fee.unit_price)
    )
    for code, unit, count in fees:
        quantity = Decimal(int(count))
        lines.append(Line(code, code.replace("_", " "), quantity, unit, (quantity * unit).quantize(CENT)))
    return lines


def issue_invoice(
    session: Session, actor: Actor, now: datetime, plan: Plan, *, client_id: int, month: str
) -> Invoice:
    """The month's invoice, once; its lines are frozen when issued."""
    get_client(session, actor, client_id)
    parse_month(month)
    if local_day(now, plan) <= parse_month(month)[0]:
        raise InvalidInput("month", "can be invoiced only after its first day")
    if session.scalar(select(Invoice.id).where(Invoice.client_id == client_id, Invoice.month == month)):
        raise Conflict(
            "client {client_id} already has an invoice for {month}",
            field="month",
            client_id=client_id,
            month=month,
        )
    lines = compute_lines(session, client_id, month)
    invoice = Invoice(
        client_id=client_id,
        month=month,
        total=sum((ln.amount for ln in lines), Decimal("0.00")),
        issued_at=now,
    )
    session.add(invoice)
    session.flush()
    session.add_all(
        InvoiceLine(
            invoice_id=invoice.id,
            code=ln.code,
            description=ln.description,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            amount=ln.amount,
        )
        for ln in lines
    )
    record(
        session,
        actor,
        "warehouse.invoice.issue",
        "wh_invoice",
        invoice.id,
        now,
        client_id=client_id,
        month=month,
        total=invoice.total,
    )
    return invoice


def get_invoice(session: Session, actor: Actor, invoice_id: int) -> Invoice:
    return get_owned(session, actor, Invoice, invoice_id, "invoice")


def invoice_lines(session: Session, invoice: Invoice) -> list[InvoiceLine]:
    return list(
        session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.id)
        )
    )


def list_invoices(session: Session, actor: Actor, client_id: int | None = None) -> list[Invoice]:
    query = select(Invoice).order_by(Invoice.month.desc(), Invoice.id)
    scoped = client_filter(actor, client_id)
    if scoped is not None:
        query = query.where(Invoice.client_id == scoped)
    return list(session.scalars(query))


def invoice_csv(session: Session, invoice: Invoice, lang: str = "zh_CN") -> str:
    header = [
        _(lang, "Charge"),
        _(lang, "Description"),
        _(lang, "Quantity"),
        _(lang, "Unit price"),
        _(lang, "Amount"),
    ]
    lines = [
        [*described(lang, ln), ln.quantity, ln.unit_price, ln.amount]
        for ln in invoice_lines(session, invoice)
    ]
    return csv_document([header, *lines, [_(lang, "Total"), "", "", "", invoice.total]])


def invoice_pdf(session: Session, invoice: Invoice, lang: str = "zh_CN") -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    from peakguard.labels.render import cid_font

    client = session.get(Client, invoice.client_id)
    if client is None:
        raise NotFound("client {client_id} not found", client_id=invoice.client_id)
    body = ParagraphStyle("body", fontName=cid_font(), fontSize=9, leading=12, wordWrap="CJK")
    big = ParagraphStyle("title", parent=body, fontSize=16, leading=20, spaceAfter=8)
    title = _(lang, "Invoice {month}: {client}", month=invoice.month, client=client.name)
    rows = [
        [
            _(lang, "Charge"),
            _(lang, "Description"),
            _(lang, "Quantity"),
            _(lang, "Unit price"),
            _(lang, "Amount"),
        ]
    ]
    rows += [
        [*described(lang, ln), str(ln.quantity), str(ln.unit_price), str(ln.amount)]
        for ln in invoice_lines(session, invoice)
    ]
    rows.append([_(lang, "Total"), "", "", "", str(invoice.total)])
    width = A4[0] - 30 * mm
    table = Table(
        [[Paragraph(pdf_text(c), body) for c in r] for r in rows],
        colWidths=[width * w for w in (0.15, 0.45, 0.13, 0.13, 0.14)],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm).build(
        [Paragraph(pdf_text(title), big), table]
    )
    return buffer.getvalue()
