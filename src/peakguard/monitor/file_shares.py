"""An event file loaded by several processes at once, each the events of its own parcels,
orders and shops (issue 14, S3.3): ``peakguard ingest --workers N``, two by default on
PostgreSQL.

One process's load keeps PostgreSQL's server busy only part of the time: the Python that reads,
validates and encodes a batch and the server that stores it take turns more than they overlap
(the simulated day: about 1.5 s of the client's CPU and 1.3 s of the server's in 2.4 s). Two
processes, each with its own connection, fill both cores.

Each process reads the whole file and keeps the rows whose key (the parcel of a scan, the order
of an order, the shop of shop metrics) hashes to its share, so every state row is written by
one process only, in file order: the newer scan wins and a later row wins a tie exactly as in a
single load, no two processes wait on each other's row locks, and a replayed file changes
nothing. A row whose key cannot be read (bad JSON, not an object) goes to share 0, which
dead-letters it with its line as a single load does. Each share commits its own batches, so an
interrupted load keeps what was committed and loading the file again finishes it.

The other processes are forked from this one (no second start-up: importing the monitor takes
about a second), each with a database connection of its own; their progress and results come
back through a queue.
"""

from __future__ import annotations

import multiprocessing
import queue as queues
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from peakguard.db import Database
from peakguard.monitor.events import read_file

DEFAULT_SHARES = {"postgresql": 2, "sqlite": 1}
"""SQLite has one writer at a time, so a second process would only wait for the first."""


class _Keys(msgspec.Struct):
    """The fields that name an event's state row; every other field is skipped unread."""

    parcel_id: Any = None
    order_id: Any = None
    shop: Any = None


_KEYS = msgspec.json.Decoder(_Keys)


def share_of(row: Any, shares: int) -> int:
    """Which of ``shares`` processes loads this row (raw NDJSON bytes or a decoded CSV/Parquet
    row): by a CRC-32 of its key, the same in every process and run."""
    if shares == 1:
        return 0
    try:
        keys = _KEYS.decode(row) if isinstance(row, bytes) else msgspec.convert(row, _Keys)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return 0
    key = keys.parcel_id or keys.order_id or keys.shop
    if type(key) is not str:
        return 0  # no key, or not text: refused by validation, wherever it goes
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % shares


def rows_of_share(path: Path, share: int, shares: int) -> Iterator[tuple[int, Any]]:
    """The file's (line, row) pairs that belong to ``share``."""
    return ((line, row) for line, row in read_file(path) if share_of(row, shares) == share)


class ShareFailed(RuntimeError):
    """A forked share stopped with an error; what the other shares committed stays."""


LoadShare = Callable[[Database, Iterator[tuple[int, Any]], Callable[[int], None] | None], Any]
"""Loads one share's rows into a database, telling a callback each committed batch's size;
returns the share's result (picklable: it crosses the queue)."""


def load_in_shares(
    db: Database, path: Path, shares: int, load: LoadShare, on_batch: Callable[[int], None] | None
) -> list[Any]:
    """Run ``load`` over each share of the file, share 0 in this process and the others in
    forked ones; return the results in share order. Every share is waited for, even when one
    fails, and then the first failure is raised."""
    if shares == 1:
        return [load(db, rows_of_share(path, 0, 1), on_batch)]
    context = multiprocessing.get_context("fork")
    queue: Any = context.Queue()
    children = [
        context.Process(target=_child, args=(db.url, path, share, shares, load, queue), daemon=True)
        for share in range(1, shares)
    ]
    for child in children:
        child.start()
    results: dict[int, Any] = {}
    failures: dict[int, str] = {}
    drain = threading.Thread(target=_drain, args=(queue, shares - 1, on_batch, results, failures))
    drain.start()
    try:
        results[0] = load(db, rows_of_share(path, 0, shares), on_batch)
    finally:
        drain.join()
        for child in children:
            child.join()
    for share, child in enumerate(children, start=1):
        if share not in results and share not in failures:
            failures[share] = f"exited with code {child.exitcode} before reporting"
    if failures:
        share = min(failures)
        raise ShareFailed(f"ingest share {share} of {shares} failed: {failures[share]}")
    return [results[share] for share in range(shares)]


def _child(url: str, path: Path, share: int, shares: int, load: LoadShare, queue: Any) -> None:
    """A forked share: its own engine (the parent's pooled connections are never touched)."""
    db = Database(url)
    try:
        result = load(db, rows_of_share(path, share, shares), lambda n: queue.put(("rows", share, n)))
        queue.put(("done", share, result))
    except BaseException as exc:  # reported to the parent, which raises it
        queue.put(("failed", share, f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def _drain(
    queue: Any,
    expected: int,
    on_batch: Callable[[int], None] | None,
    results: dict[int, Any],
    failures: dict[int, str],
) -> None:
    """Pass the forked shares' progress on and collect their results until each has reported
    its end, or no forked process is left alive (one killed without a word: the caller then
    names it by its exit code)."""
    ended = 0
    while ended < expected:
        try:
            kind, share, payload = queue.get(timeout=5)
        except queues.Empty:
            if not multiprocessing.active_children():
                return
            continue
        if kind == "rows":
            if on_batch is not None:
                on_batch(payload)
            continue
        ended += 1
        (results if kind == "done" else failures)[share] = payload


def default_shares(db: Database) -> int:
    """How many processes ``peakguard ingest`` loads a file with unless told."""
    return DEFAULT_SHARES.get(db.dialect, 1)
