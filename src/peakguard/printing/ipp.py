"""A small IPP/1.1 client (RFC 8010/8011) for asking CUPS about its queues and jobs (S1.6).

Why not ``lpstat``: its text is localised and cannot tell a completed job from an aborted one,
which is exactly what the dispatcher must know (an aborted label must be printed again
elsewhere, a completed one never). Why not pycups: it is a C extension built against
libcups headers. The protocol for the three read operations we need is a few dozen lines.

The server is taken like the CUPS tools take it: ``CUPS_SERVER`` (a host[:port] or a socket
path), else the local domain socket, else ``localhost:631``.
"""

from __future__ import annotations

import getpass
import http.client
import os
import socket
import struct
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

OP_PRINT_JOB = 0x0002
OP_CANCEL_JOB = 0x0008
OP_GET_JOB_ATTRIBUTES = 0x0009
OP_GET_JOBS = 0x000A
OP_GET_PRINTER_ATTRIBUTES = 0x000B

STATUS_NOT_FOUND = 0x0406
STATUS_GONE = 0x0407
STATUS_NOT_POSSIBLE = 0x0404
"""Cancel-Job's answer for a job that has already finished (RFC 8011 5.3.3)."""

# Job states (RFC 8011 5.3.7).
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9

# Printer states (RFC 8011 5.4.12).
PRINTER_STOPPED = 5

_GROUP_OPERATION, _GROUP_END = 0x01, 0x03
_INTEGER, _BOOLEAN, _ENUM = 0x21, 0x22, 0x23
_BEG_COLLECTION, _END_COLLECTION = 0x34, 0x37
_TEXT_LANG, _NAME_LANG = 0x35, 0x36
_NAME, _KEYWORD, _URI, _CHARSET, _LANGUAGE, _MIME = 0x42, 0x44, 0x45, 0x47, 0x48, 0x49

DEFAULT_SOCKET = "/run/cups/cups.sock"


class IppError(Exception):
    """CUPS could not be reached or answered with an error status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class IppResponse:
    status: int
    groups: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def group(self, tag: int) -> list[dict[str, Any]]:
        return [attrs for t, attrs in self.groups if t == tag]


def _attr(tag: int, name: str, values: list[Any]) -> bytes:
    out = b""
    for i, value in enumerate(values):
        if tag in (_INTEGER, _ENUM):
            raw = struct.pack(">i", value)
        elif tag == _BOOLEAN:
            raw = b"\x01" if value else b"\x00"
        else:
            raw = str(value).encode("utf-8")
        key = name.encode() if i == 0 else b""
        out += struct.pack(">bH", tag, len(key)) + key + struct.pack(">H", len(raw)) + raw
    return out


def encode_request(operation: int, request_id: int, attrs: list[tuple[int, str, list[Any]]]) -> bytes:
    """An IPP request: the operation group, charset and language first as the RFC demands."""
    body = struct.pack(">bbHi", 1, 1, operation, request_id) + bytes([_GROUP_OPERATION])
    body += _attr(_CHARSET, "attributes-charset", ["utf-8"])
    body += _attr(_LANGUAGE, "attributes-natural-language", ["en"])
    for tag, name, values in attrs:
        body += _attr(tag, name, values)
    return body + bytes([_GROUP_END])


def _value(tag: int, raw: bytes) -> Any:
    if tag in (_INTEGER, _ENUM) and len(raw) == 4:
        return struct.unpack(">i", raw)[0]
    if tag == _BOOLEAN:
        return raw != b"\x00"
    if tag in (_TEXT_LANG, _NAME_LANG) and len(raw) >= 2:  # language, then text
        n = struct.unpack(">H", raw[:2])[0]
        text_at = 2 + n
        m = struct.unpack(">H", raw[text_at : text_at + 2])[0]
        return raw[text_at + 2 : text_at + 2 + m].decode("utf-8", "replace")
    if 0x40 <= tag <= 0x4F:
        return raw.decode("utf-8", "replace")
    if tag < 0x20:  # out-of-band: unsupported, unknown, no-value
        return None
    return raw


def decode_response(data: bytes) -> IppResponse:
    """Groups of attributes; each attribute a list of values (collections are skipped whole:
    none of the attributes we ask for is one)."""
    if len(data) < 8:
        raise IppError("short IPP response")
    status = struct.unpack(">H", data[2:4])[0]
    response = IppResponse(status=status)
    pos, name, depth = 8, "", 0
    attrs: dict[str, Any] | None = None
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag <= 0x0F:  # a delimiter: a new group or the end
            if tag == _GROUP_END:
                break
            attrs = {}
            response.groups.append((tag, attrs))
            continue
        name_len = struct.unpack(">H", data[pos : pos + 2])[0]
        key = data[pos + 2 : pos + 2 + name_len].decode("utf-8", "replace")
        pos += 2 + name_len
        value_len = struct.unpack(">H", data[pos : pos + 2])[0]
        raw = data[pos + 2 : pos + 2 + value_len]
        pos += 2 + value_len
        if tag == _BEG_COLLECTION:
            depth += 1
            continue
        if tag == _END_COLLECTION:
            depth -= 1
            continue
        if depth > 0 or attrs is None:
            continue
        if key:
            name = key
            attrs[name] = [_value(tag, raw)]
        elif name in attrs:
            attrs[name].append(_value(tag, raw))
    return response


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def server() -> str:
    """Where CUPS answers, chosen like the CUPS command-line tools choose it."""
    configured = os.environ.get("CUPS_SERVER", "").strip()
    if configured:
        return configured
    return DEFAULT_SOCKET if os.path.exists(DEFAULT_SOCKET) else "localhost:631"


class CupsClient:
    """The read side of CUPS over IPP, plus cancel. One short HTTP request per call."""

    def __init__(self, address: str | None = None, timeout: float = 10.0) -> None:
        self.address = address or server()
        self.timeout = timeout
        self._request_id = 0

    def _connection(self) -> http.client.HTTPConnection:
        if self.address.startswith("/"):
            return _UnixConnection(self.address, self.timeout)
        host, _, port = self.address.partition(":")
        return http.client.HTTPConnection(host, int(port or 631), timeout=self.timeout)

    def call(
        self, path: str, operation: int, attrs: list[tuple[int, str, list[Any]]], document: bytes = b""
    ) -> IppResponse:
        self._request_id += 1
        body = encode_request(operation, self._request_id, attrs) + document
        conn = self._connection()
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/ipp"})
            reply = conn.getresponse()
            data = reply.read()
        except OSError as exc:
            raise IppError(f"CUPS at {self.address} not reachable: {exc}") from exc
        finally:
            conn.close()
        if reply.status != 200:
            raise IppError(f"CUPS answered HTTP {reply.status} for {path}", status=reply.status)
        return decode_response(data)

    @staticmethod
    def printer_uri(queue: str) -> str:
        return f"ipp://localhost/printers/{quote(queue, safe='')}"

    def _user(self) -> tuple[int, str, list[Any]]:
        return (_NAME, "requesting-user-name", [getpass.getuser()])

    def printer(self, queue: str) -> dict[str, Any] | None:
        """The queue's state, whether it accepts jobs, and why not; ``None`` if CUPS has no
        such queue."""
        response = self.call(
            f"/printers/{quote(queue, safe='')}",
            OP_GET_PRINTER_ATTRIBUTES,
            [
                (_URI, "printer-uri", [self.printer_uri(queue)]),
                self._user(),
                (
                    _KEYWORD,
                    "requested-attributes",
                    [
                        "printer-state",
                        "printer-state-message",
                        "printer-state-reasons",
                        "printer-is-accepting-jobs",
                        "queued-job-count",
                    ],
                ),
            ],
        )
        if response.status == STATUS_NOT_FOUND:
            return None
        if response.status >= 0x0100:
            raise IppError(f"CUPS refused Get-Printer-Attributes ({response.status:#06x})", response.status)
        found = response.group(0x04)
        if not found:
            return None
        attrs = found[0]
        return {
            "state": (attrs.get("printer-state") or [None])[0],
            "message": (attrs.get("printer-state-message") or [""])[0] or "",
            "reasons": [r for r in attrs.get("printer-state-reasons", []) if r and r != "none"],
            "accepting": bool((attrs.get("printer-is-accepting-jobs") or [False])[0]),
            "queued": (attrs.get("queued-job-count") or [0])[0] or 0,
        }

    def active_jobs(self, queue: str) -> dict[int, int]:
        """The queue's unfinished jobs (anyone's), job id -> state: its load as CUPS sees it."""
        response = self.call(
            f"/printers/{quote(queue, safe='')}",
            OP_GET_JOBS,
            [
                (_URI, "printer-uri", [self.printer_uri(queue)]),
                self._user(),
                (_KEYWORD, "which-jobs", ["not-completed"]),
                (_KEYWORD, "requested-attributes", ["job-id", "job-state"]),
            ],
        )
        if response.status == STATUS_NOT_FOUND:
            return {}
        if response.status >= 0x0100:
            raise IppError(f"CUPS refused Get-Jobs ({response.status:#06x})", response.status)
        jobs: dict[int, int] = {}
        for attrs in response.group(0x02):
            job_id = (attrs.get("job-id") or [None])[0]
            if job_id is not None:
                jobs[int(job_id)] = int((attrs.get("job-state") or [0])[0] or 0)
        return jobs

    def job(self, job_id: int) -> dict[str, Any] | None:
        """One job's state and why; ``None`` once CUPS has forgotten it (history purged)."""
        response = self.call(
            "/jobs",
            OP_GET_JOB_ATTRIBUTES,
            [
                (_URI, "job-uri", [f"ipp://localhost/jobs/{job_id}"]),
                self._user(),
                (_KEYWORD, "requested-attributes", ["job-id", "job-state", "job-state-reasons", "job-name"]),
            ],
        )
        if response.status == STATUS_NOT_FOUND:
            return None
        if response.status >= 0x0100:
            raise IppError(f"CUPS refused Get-Job-Attributes ({response.status:#06x})", response.status)
        found = response.group(0x02)
        if not found:
            return None
        attrs = found[0]
        return {
            "state": int((attrs.get("job-state") or [0])[0] or 0),
            "reasons": [r for r in attrs.get("job-state-reasons", []) if r and r != "none"],
            "name": (attrs.get("job-name") or [""])[0] or "",
        }

    def jobs_named(self, queue: str) -> dict[str, int]:
        """Every job of this queue the current user owns, by job name -> job id (all states):
        how a job whose ``lp`` ran just before a crash is found again instead of sent twice."""
        response = self.call(
            f"/printers/{quote(queue, safe='')}",
            OP_GET_JOBS,
            [
                (_URI, "printer-uri", [self.printer_uri(queue)]),
                self._user(),
                (_KEYWORD, "which-jobs", ["all"]),
                (_BOOLEAN, "my-jobs", [True]),
                (_KEYWORD, "requested-attributes", ["job-id", "job-name"]),
            ],
        )
        if response.status == STATUS_NOT_FOUND:
            return {}
        if response.status >= 0x0100:
            raise IppError(f"CUPS refused Get-Jobs ({response.status:#06x})", response.status)
        named: dict[str, int] = {}
        for attrs in response.group(0x02):
            job_id = (attrs.get("job-id") or [None])[0]
            name = (attrs.get("job-name") or [""])[0]
            if job_id is not None and name:
                named[str(name)] = int(job_id)
        return named

    def print_job(self, queue: str, name: str, document: bytes, content_type: str = "application/pdf") -> int:
        """Send one document to the queue (IPP Print-Job); the job id CUPS gave it."""
        response = self.call(
            f"/printers/{quote(queue, safe='')}",
            OP_PRINT_JOB,
            [
                (_URI, "printer-uri", [self.printer_uri(queue)]),
                self._user(),
                (_NAME, "job-name", [name]),
                (_MIME, "document-format", [content_type]),
            ],
            document,
        )
        if response.status >= 0x0100:
            raise IppError(f"{queue} refused the job ({response.status:#06x})", response.status)
        found = response.group(0x02)
        job_id = (found[0].get("job-id") or [None])[0] if found else None
        if job_id is None:
            raise IppError(f"{queue} accepted the job but gave no job id")
        return int(job_id)

    def cancel(self, job_id: int) -> bool:
        """Cancel a job that has not printed; ``False`` if it already finished (completed,
        aborted or cancelled), so the caller asks what became of it instead of guessing."""
        response = self.call(
            "/jobs",
            OP_CANCEL_JOB,
            [(_URI, "job-uri", [f"ipp://localhost/jobs/{job_id}"]), self._user()],
        )
        if response.status in (STATUS_NOT_POSSIBLE, STATUS_NOT_FOUND, STATUS_GONE):
            return False
        if response.status >= 0x0100:
            raise IppError(f"CUPS refused Cancel-Job ({response.status:#06x})", response.status)
        return True
