"""The demo's notification sink (S3.4): a small HTTP receiver in the demo process that really
receives what the delivery job sends and shows it on a page, so the demo's alerts read
"sent" and can be seen arriving, instead of failing for want of a DingTalk group.

The demo gives every person on its roster the Apprise channel ``json://127.0.0.1:<port>/<who>``;
Apprise posts each message as JSON to ``http://127.0.0.1:<port>/<who>``, which this receiver
keeps (the newest ``KEEP``) and lists at ``/``. It listens on the loopback address only and
takes bodies up to ``MAX_BODY`` bytes; it holds only demo data and no secret."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEEP = 500
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Received:
    at: datetime
    to: str
    title: str
    body: str


class Inbox:
    """Received messages, newest first, safe to read while the receiver adds to it."""

    def __init__(self) -> None:
        self._items: deque[Received] = deque(maxlen=KEEP)
        self._lock = threading.Lock()

    def add(self, item: Received) -> None:
        with self._lock:
            self._items.appendleft(item)

    def items(self) -> list[Received]:
        with self._lock:
            return list(self._items)


def _handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self.send_error(413, "message too large")
                return
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self.send_error(400, "not JSON")
                return
            if not isinstance(payload, dict):
                self.send_error(400, "not a JSON object")
                return
            to = self.path.strip("/") or "-"
            title, body = str(payload.get("title", "")), str(payload.get("message", ""))
            inbox.add(Received(datetime.now(UTC), to, title, body))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            page = render_page(inbox.items()).encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: the demo's console shows the day's progress, not every delivery."""

    return Handler


def render_page(items: list[Received]) -> str:
    rows = "".join(
        f"<tr><td>{escape(r.at.strftime('%H:%M:%S'))}</td><td>{escape(r.to)}</td>"
        f"<td><strong>{escape(r.title)}</strong><br>{escape(r.body)}</td></tr>"
        for r in items
    )
    empty = "" if items else "<p>还没有收到通知 / Nothing received yet.</p>"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="5"><title>演示通知收件箱 / Demo inbox</title></head>'
        "<body><h1>演示通知收件箱 / Demo notification inbox</h1>"
        f"<p>{len(items)} 条已收到 / received (UTC)</p>{empty}"
        f"<table><thead><tr><th>时间</th><th>收件人</th><th>内容</th></tr></thead><tbody>{rows}</tbody></table>"
        "</body></html>"
    )


class InboxServer:
    """The receiver on its own thread; ``channel(who)`` is the Apprise URL that reaches it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.inbox = Inbox()
        self._server = ThreadingHTTPServer((host, port), _handler(self.inbox))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.host, self.port = host, int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def channel(self, who: str) -> str:
        return f"json://{self.host}:{self.port}/{who}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
