"""An injectable clock, so deadlines are tested by moving time instead of sleeping.

Services never call ``datetime.now`` themselves: the caller passes ``now`` taken from a
:class:`Clock`. The app and the CLI use :class:`SystemClock`; tests and drills use
:class:`FrozenClock` and move it forward.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)


def as_utc(value: datetime) -> datetime:
    """Times are stored in UTC; a naive time is taken to be UTC already (SQLite returns naive)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_iso(text: str, field: str = "at") -> datetime:
    """Parse an ISO 8601 time; a time without offset is read as UTC."""
    from peakguard.errors import InvalidInput

    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError as exc:
        raise InvalidInput(field, f"not an ISO 8601 time: {text!r}") from exc
