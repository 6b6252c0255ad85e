"""Barcode arithmetic (S2.6): the GS1 check digit of EAN-13 and UPC-A codes that products already
carry, and the Code128 value we generate for a product that has none."""

from __future__ import annotations

from peakguard.errors import InvalidInput

GENERATED_PREFIX = "PG"


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (all digits but the last): weights 3,1,3,... from
    the right, so EAN-13 and UPC-A share one rule."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def check_digit_wrong(code: str) -> bool:
    """A GS1 code (EAN-8, UPC-A, EAN-13, GTIN-14) whose last digit does not check: a misread or
    mistyped scan, to be told apart from a good code that is simply not expected here."""
    return code.isdigit() and len(code) in (8, 12, 13, 14) and int(code[-1]) != gs1_check_digit(code[:-1])


def refuse_misread(code: str, field: str) -> None:
    """A scan that does not match what was expected, refused as a misread when its check digit
    is wrong (scan it again) rather than as the wrong item or an unknown one."""
    if check_digit_wrong(code.strip()):
        raise InvalidInput(field, "check digit wrong: {code}; scan it again", code=code.strip())


def classify(code: str, field: str = "barcode") -> str:
    """``ean13`` or ``upca`` for a valid existing code; a wrong length or check digit is refused
    with the digit it should have been, so the person at the dock can tell a typo from a fake."""
    code = code.strip()
    if not code.isdigit() or len(code) not in (12, 13):
        raise InvalidInput(field, "must be an EAN-13 (13 digits) or UPC-A (12 digits) code")
    expected = gs1_check_digit(code[:-1])
    if int(code[-1]) != expected:
        raise InvalidInput(
            field, "wrong check digit: {code} should end in {expected}", code=code, expected=expected
        )
    return "ean13" if len(code) == 13 else "upca"


def generated_code(client_id: int, sku_id: int) -> str:
    """A Code128 value unique in the warehouse: client and SKU ids are unique, the prefix keeps it
    apart from any GS1 code (which is all digits)."""
    return f"{GENERATED_PREFIX}{client_id:04d}{sku_id:08d}"


def license_plate(pallet_id: int) -> str:
    """A pallet's license-plate code (S2.5)."""
    return f"LP{pallet_id:010d}"
