"""ZPL II text for thermal printers (S2.6, S2.9): 203 dpi, so 8 dots per millimetre."""

from __future__ import annotations

DOTS_PER_MM = 8


def _field(text: str) -> str:
    # ^ and ~ start ZPL commands; inside a field they would cut it short.
    return text.replace("^", " ").replace("~", " ")


def product_label(barcode: str, title: str, subtitle: str = "") -> str:
    """A 60 x 40 mm product or pallet label: Code128 barcode with its text under it."""
    return "\n".join(
        [
            "^XA",
            "^CI28",
            f"^PW{60 * DOTS_PER_MM}",
            f"^LL{40 * DOTS_PER_MM}",
            f"^FO24,16^A0N,28,28^FD{_field(title)}^FS",
            f"^FO24,48^A0N,22,22^FD{_field(subtitle)}^FS",
            f"^FO24,80^BY2^BCN,150,Y,N,N^FD{_field(barcode)}^FS",
            "^XZ",
        ]
    )


def waybill(tracking_no: str, carrier: str, lines: list[str]) -> str:
    """A 100 x 150 mm e-waybill: carrier, address lines and the tracking number as Code128."""
    body = [f"^FO40,{260 + 40 * i}^A0N,30,30^FD{_field(line)}^FS" for i, line in enumerate(lines)]
    return "\n".join(
        [
            "^XA",
            "^CI28",
            f"^PW{100 * DOTS_PER_MM}",
            f"^LL{150 * DOTS_PER_MM}",
            f"^FO40,30^A0N,48,48^FD{_field(carrier)}^FS",
            f"^FO40,100^BY3^BCN,120,Y,N,N^FD{_field(tracking_no)}^FS",
            *body,
            "^XZ",
        ]
    )
