"""Logs an operator can search: one line per record, as text for a person or as JSON for a log
collector (``PEAKGUARD_LOG_FORMAT=json`` or ``peakguard serve --log-format json``), each
carrying the id of the request it belongs to, so the access line, a warning and a stack trace of
the same request are found together (the id also goes back to the client as ``X-Request-ID``)."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("peakguard_request_id", default=None)
"""The current request's id. Each request runs in its own task with its own copy of the
context, so the id set for one never shows in another's records."""

_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PLAIN_RECORD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "color_message"}
FORMATS = ("text", "json")


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a sane token (a proxy or a client may pass one in), else a
    new one: a header is user input and must not forge or break log lines."""
    if header and _GIVEN_ID.match(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, the fields the
    caller passed with ``extra=``, and the stack trace when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        given = getattr(record, "request_id", "-")  # set by RequestIdFilter where the record was made
        if given != "-":
            out["request_id"] = given
        out.update({k: v for k, v in vars(record).items() if k not in _PLAIN_RECORD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def log_config(fmt: str, level: str = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for the whole process, uvicorn's loggers included (it
    is passed to ``uvicorn.run``). uvicorn's own access log is replaced by the one the app writes
    (``peakguard.access``), which knows the route and the request id."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
