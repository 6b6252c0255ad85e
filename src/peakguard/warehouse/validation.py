"""Checks of user input that several warehouse services share, so each rule and its message is
written once: money, areas and weights arrive as text or numbers and become Decimal here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from peakguard.errors import InvalidInput


def decimal_field(value: object, field: str, minimum: Decimal) -> Decimal:
    """A Decimal from user input (never via float), at least ``minimum``."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(field, "must be a number") from exc
    if not number.is_finite() or number < minimum:
        raise InvalidInput(field, "must be {minimum} or more", minimum=minimum)
    return number
