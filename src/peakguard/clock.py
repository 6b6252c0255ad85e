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


class ScaledClock:
    """Simulated time for drills and the demo: starts at ``start`` and runs ``speed`` times as
    fast as the wall clock (60 = one simulated hour a minute), so a peak day's deadlines count
    down visibly without anyone waiting for real hours."""

    def __init__(self, start: datetime, speed: float = 1.0, *, running: bool = True) -> None:
        import time

        self._start = as_utc(start)
        self._speed = speed
        self._origin: float | None = time.monotonic() if running else None

    def begin(self) -> None:
        """Set a clock made with ``running=False`` going from its start, now. The demo holds its
        clock until the server is up: a start that took 40 s on a busy machine would otherwise
        have skipped 80 simulated minutes at 120x, and the first incidents would open already
        risen (nothing to watch rise)."""
        import time

        if self._origin is None:
            self._origin = time.monotonic()

    def now(self) -> datetime:
        import time

        if self._origin is None:
            return self._start
        return self._start + timedelta(seconds=(time.monotonic() - self._origin) * self._speed)


def clock_from_settings(start: datetime | None, speed: float) -> Clock:
    """The server's clock: real time, unless the settings ask for simulated time."""
    if start is None and speed == 1.0:
        return SystemClock()
    return ScaledClock(start or SystemClock().now(), speed)


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
        raise InvalidInput(field, "not an ISO 8601 time: {text!r}", text=text) from exc
