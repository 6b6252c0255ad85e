"""Barcodes and labels (S2.6, S2.9): GS1 check digits, generated Code128 values, label PDFs at
60 x 40 mm and 100 x 150 mm, ZPL text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reportlab.graphics.barcode.code128 import Code128

from peakguard.errors import InvalidInput
from peakguard.labels import barcodes, render, zpl


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("4006381333931", "ean13"),
        ("6901234567892", "ean13"),
        ("036000291452", "upca"),
        ("012345678905", "upca"),
    ],
)
def test_real_codes_pass(code: str, kind: str) -> None:
    """S2.6: codes printed on real products validate and are classified."""
    assert barcodes.classify(code) == kind


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("4006381333932", "wrong check digit: 4006381333932 should end in 1"),
        ("036000291453", "wrong check digit: 036000291453 should end in 2"),
        ("40063813339", "must be an EAN-13"),
        ("40063813339A1", "must be an EAN-13"),
    ],
)
def test_bad_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as err:
        barcodes.classify(code)
    assert err.value.field == "barcode"
    assert reason in err.value.message


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.integers(0, 9))
def test_exactly_one_check_digit_fits(body: str, digit: int) -> None:
    """S2.6: for any 12-digit body exactly one final digit makes a valid EAN-13."""
    code = body + str(digit)
    if digit == barcodes.gs1_check_digit(body):
        assert barcodes.classify(code) == "ean13"
    else:
        with pytest.raises(InvalidInput):
            barcodes.classify(code)


def test_upca_is_ean13_with_a_leading_zero() -> None:
    upc = "036000291452"
    assert barcodes.gs1_check_digit(upc[:-1]) == barcodes.gs1_check_digit("0" + upc[:-1])


@given(st.integers(1, 9999), st.integers(1, 10**8 - 1), st.integers(1, 9999), st.integers(1, 10**8 - 1))
def test_generated_codes_are_unique_and_never_gs1(c1: int, s1: int, c2: int, s2: int) -> None:
    """S2.6: a generated Code128 value differs for every (client, SKU) and is never all digits."""
    a, b = barcodes.generated_code(c1, s1), barcodes.generated_code(c2, s2)
    assert (a == b) == ((c1, s1) == (c2, s2))
    assert not a.isdigit()
    Code128(a).validate()


def _media_box(pdf: bytes) -> tuple[float, float]:
    found = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert found, "no page size in the PDF"
    return float(found.group(1)), float(found.group(2))


def test_label_pdf_sizes() -> None:
    """S2.6: product label 60 x 40 mm; S2.9: e-waybill 100 x 150 mm (1 mm = 72/25.4 pt)."""
    mm = 72 / 25.4
    small = render.product_label("PG000100000001", "杯子", "SKU A")
    waybill = render.waybill("SF1000000000", "SF Express", ["店铺A / T-1", "1.2 kg"])
    assert small.startswith(b"%PDF") and waybill.startswith(b"%PDF")
    assert _media_box(small) == pytest.approx((60 * mm, 40 * mm), abs=0.01)
    assert _media_box(waybill) == pytest.approx((100 * mm, 150 * mm), abs=0.01)
    assert b"STSong-Light" in small


def test_zpl_text() -> None:
    """Thermal printers: ZPL with the page size in dots and the value as a Code128 field."""
    label = zpl.product_label("PG000100000001", "Cup^1", "x")
    assert label.startswith("^XA") and label.endswith("^XZ")
    assert "^PW480" in label and "^LL320" in label
    assert "^BCN" in label and "^FDPG000100000001^FS" in label
    assert "Cup 1" in label  # a caret in text would start a command
    bill = zpl.waybill("SF1000000000", "SF Express", ["line"])
    assert "^PW800" in bill and "^LL1200" in bill and "^FDSF1000000000^FS" in bill
