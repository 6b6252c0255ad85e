"""The demo's notification sink (issue 16, S3.4): Apprise's json:// channel really reaches it,
it lists what arrived (escaped), and it refuses what is not a small JSON object."""

from __future__ import annotations

import httpx

from peakguard.demo.inbox import MAX_BODY, InboxServer
from peakguard.notify.delivery import apprise_send


def test_apprise_delivers_to_the_demo_inbox_which_shows_it():
    inbox = InboxServer()
    inbox.start()
    try:
        assert apprise_send(inbox.channel("li"), "[二级] 事件 #3", "<b>福州-07</b> 快件积压")
        (got,) = inbox.inbox.items()
        assert (got.to, got.title, got.body) == ("li", "[二级] 事件 #3", "<b>福州-07</b> 快件积压")
        page = httpx.get(inbox.url).text
        assert "事件 #3" in page and "&lt;b&gt;福州-07&lt;/b&gt;" in page and "<b>福州" not in page
        assert httpx.post(inbox.url + "x", content=b"not json").status_code == 400
        assert httpx.post(inbox.url + "x", content=b"[1]").status_code == 400
        assert httpx.post(inbox.url + "x", content=b"{" + b" " * MAX_BODY + b"}").status_code == 413
        assert len(inbox.inbox.items()) == 1
    finally:
        inbox.stop()
