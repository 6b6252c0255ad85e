"""Label PDFs with ReportLab (S2.6, S2.9): 60 x 40 mm product and pallet labels, 100 x 150 mm
e-waybills, each with a Code128 barcode and its text under it. Chinese text uses
ReportLab's built-in CID font, so no font file ships with the package.

ReportLab's canvas, barcodes and fonts are imported when a label is drawn: the warehouse's
modules import this one, and those imports were a quarter of a second of every warehouse
command's start-up (issue 14)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from reportlab.lib.units import mm

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

FONT = "STSong-Light"
SMALL = (60 * mm, 40 * mm)
WAYBILL = (100 * mm, 150 * mm)


def cid_font() -> str:
    """The built-in Chinese CID font, registered once."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _barcode(canvas: Canvas, value: str, x: float, y: float, width: float, height: float) -> None:
    """Draw ``value`` as Code128 scaled to ``width``, with the human-readable text under it."""
    from reportlab.graphics.barcode.code128 import Code128

    code = Code128(value, barHeight=height, humanReadable=True, quiet=False)
    code.barWidth = code.barWidth * min(1.0, width / code.width)
    code.validate()
    code.computeSize()
    code.drawOn(canvas, x + (width - code.width) / 2, y)


def product_label(barcode: str, title: str, subtitle: str = "") -> bytes:
    """A 60 x 40 mm label: title, subtitle and the barcode (products and pallets)."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=SMALL)
    font = cid_font()
    canvas.setFont(font, 8)
    canvas.drawString(3 * mm, 35 * mm, title[:40])
    canvas.setFont(font, 6)
    canvas.drawString(3 * mm, 31 * mm, subtitle[:60])
    _barcode(canvas, barcode, 3 * mm, 6 * mm, 54 * mm, 18 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def waybill(tracking_no: str, carrier: str, lines: list[str]) -> bytes:
    """A 100 x 150 mm e-waybill: carrier, the tracking number as Code128, then the lines."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=WAYBILL)
    font = cid_font()
    canvas.setFont(font, 16)
    canvas.drawString(6 * mm, 140 * mm, carrier)
    _barcode(canvas, tracking_no, 6 * mm, 105 * mm, 88 * mm, 25 * mm)
    canvas.setFont(font, 10)
    for i, line in enumerate(lines):
        canvas.drawString(6 * mm, (92 - 7 * i) * mm, line[:60])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
