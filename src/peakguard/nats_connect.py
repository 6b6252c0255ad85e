"""One NATS connection attempt that fails fast (issue 14, S3.3): what ``peakguard publish``,
``peakguard monitor --bus`` (its first connection) and the health check need from a URL that
may be wrong or a server that may be down.

nats-py's ``allow_reconnect=False`` does not stop its first connect from retrying: a refused
server is tried again every ``reconnect_time_wait`` (2 s) until it has failed more than
``max_reconnect_attempts`` times (60 by default; 0 or less means for ever), so a wrong URL took
the bus commands two minutes to report. Here the server is given two tries, 0.1 s apart."""

from __future__ import annotations

from typing import Any


async def quiet(exc: Exception) -> None:
    """In place of the client's own error report (a traceback per failed try, by default): the
    caller reports a failure itself."""


async def connect_once(url: str, seconds: float = 3.0) -> Any:
    """A connected client, or the error (``NoServersError``, an ``OSError``, a timeout) within
    about twice ``seconds``."""
    import nats

    return await nats.connect(
        url, connect_timeout=seconds, error_cb=quiet, allow_reconnect=False, max_reconnect_attempts=1,
        reconnect_time_wait=0.1,
    )  # fmt: skip
