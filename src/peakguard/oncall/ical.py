"""A person's shifts as an iCalendar feed (RFC 5545), for the phone's calendar app. Written
here rather than with a library: the feed is a handful of VEVENTs with UTC times, and the two
rules that matter (escape ``\\ ; , newline`` in text, fold lines at 75 octets) are below."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from peakguard.i18n import gettext
from peakguard.oncall.schedule import Segment


def calendar(person_name: str, language: str, segments: Iterable[Segment], now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//PeakGuard//On call//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _prop("X-WR-CALNAME", gettext(language, "On call: {name}", name=person_name)),
    ]
    for s in segments:
        summary = gettext(language, "On call as {role}", role=gettext(language, s.role))
        lines += [
            "BEGIN:VEVENT",
            f"UID:{s.role}-{_utc(s.start)}-{_utc(s.end)}@peakguard",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(s.start)}",
            f"DTEND:{_utc(s.end)}",
            _prop("SUMMARY", summary),
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _utc(at: datetime) -> str:
    return at.strftime("%Y%m%dT%H%M%SZ")


def _prop(name: str, text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return f"{name}:{escaped}"


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1),
    never splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)
