"""A person's quiet hours (issue 17): ``HH:MM-HH:MM`` in their local time, wrapping midnight
when the end is earlier than the start (``22:00-07:00``). Pure functions of the time passed in,
so delivery decides the same way under the injected clock as under the wall clock."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peakguard.errors import InvalidInput

PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def parse(text: str, field: str = "quiet_hours") -> tuple[time, time]:
    match = PATTERN.match(text.strip())
    if match is None:
        raise InvalidInput(field, "HH:MM-HH:MM in local time, e.g. 22:00-07:00, not {text!r}", text=text)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = time(h1, m1), time(h2, m2)
    if start == end:
        raise InvalidInput(field, "the start and the end must differ")
    return start, end


def check_zone(name: str, field: str = "timezone") -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(field, "unknown time zone {name!r}, e.g. Asia/Shanghai", name=name) from exc
    return name


def is_quiet(hours: str | None, zone: str, now: datetime) -> bool:
    """Whether ``now`` falls in the quiet hours, read in ``zone`` (start included, end not)."""
    if not hours:
        return False
    start, end = parse(hours)
    local = now.astimezone(ZoneInfo(zone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end
