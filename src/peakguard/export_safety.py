"""Text that leaves PeakGuard in a file another program interprets: CSV that a spreadsheet
opens, and PDFs that ReportLab lays out from its paragraph markup. What a user typed (a SKU
code, an order reference, a client's name) stays data in both, never a formula or a tag
(issue 13 items 5 and 9). Every CSV export and every ReportLab ``Paragraph`` goes through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection)."""


def spreadsheet_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading single quote, so it
    shows as typed. Numbers the code writes itself (int, Decimal, dates) pass unchanged: a
    negative amount stays a number a spreadsheet can add up."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_document(rows: Iterable[Sequence[object]]) -> str:
    """The rows (header first) as CSV text, every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


EXCEL_BOM = "\ufeff"


def for_excel(document: str) -> str:
    """A CSV file as it is downloaded or saved: UTF-8 with the byte-order mark, without which
    Excel on a Chinese Windows reads the file as GBK and shows mojibake (issue 16)."""
    return EXCEL_BOM + document


def pdf_text(text: str) -> str:
    """Text for a ReportLab ``Paragraph``, which parses its input as markup: ``a<b`` would fail
    the whole document and ``<img src=...>`` would make the server read a local file."""
    return escape(text)
