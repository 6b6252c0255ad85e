"""Benchmark of the parcel detectors (issue 3, S3.3): the vectorised Polars implementation that
the live job and `peakguard detect` use, against a plain per-event Python implementation of the
same rules, on the same synthetic scans in the same process. Both must give identical signals.

    ./dev bench detect                 # 5 million scans, Polars on one core
    ./dev bench detect --events 500000 # a quick run

Prints events/s of each, the speedup, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # the target is per core

import polars as pl  # noqa: E402

from peakguard.monitor.parcels import SCAN_SCHEMA, parcel_signals  # noqa: E402
from peakguard.monitor.signals import Signal  # noqa: E402
from peakguard.plan.schemas import Plan  # noqa: E402
from peakguard.plan.service import level_for, load_plan  # noqa: E402

STATUSES = ["picked_up", "hub_arrived", "hub_departed", "out_for_delivery", "delivered", "exception"]
EXCEPTIONS = ["lost", "damaged", "robbed", "withheld", "prohibited", "short"]
START = datetime(2026, 11, 8, tzinfo=UTC)


def synthetic_scans(n: int, seed: int) -> pl.DataFrame:
    """``n`` scans of about n/5 parcels over four days in 200 areas, a few exceptions. Values come
    from hashing the row number with the seed: fast, and the same on every run."""

    def draw(salt: int, modulo: int) -> pl.Expr:
        return (pl.int_range(n, dtype=pl.UInt64).hash(seed * 1000 + salt) % modulo).cast(pl.Int64)

    frame = pl.select(
        p=draw(1, max(n // 5, 1)),
        s=draw(2, 4 * 86400),
        st=draw(3, 100),
        a=draw(4, 200),
        e=draw(5, len(EXCEPTIONS)),
    )
    status = (
        pl.when(pl.col("st") < 99).then(pl.col("st") // 20).otherwise(len(STATUSES) - 1)
    )  # 20% each of the five normal statuses, 1% exceptions
    return frame.select(
        pl.format("P{}", pl.col("p")).alias("parcel_id"),
        (pl.lit(START) + pl.duration(seconds=pl.col("s"))).dt.cast_time_unit("us").alias("ts"),
        status.replace_strict(dict(enumerate(STATUSES)), return_dtype=pl.String).alias("status"),
        pl.format("A-{}", pl.col("a")).alias("area"),
        pl.format("A-{}-HUB", pl.col("a")).alias("site"),
        pl.when(status == len(STATUSES) - 1)
        .then(pl.col("e").replace_strict(dict(enumerate(EXCEPTIONS)), return_dtype=pl.String))
        .otherwise(None)
        .alias("exception"),
    ).cast(dict(SCAN_SCHEMA))


def per_event(rows: list[tuple], as_of: datetime, plan: Plan) -> list[Signal]:
    """The same rules, one event at a time, as someone would write them without a data frame."""
    p = plan.detection
    latest: dict[str, tuple] = {}
    for row in rows:
        previous = latest.get(row[0])
        if previous is None or row[1] >= previous[1]:
            latest[row[0]] = row
    lost_after = timedelta(hours=p.lost_after_hours)
    transit = timedelta(hours=p.transit_timeout_hours)
    stuck = timedelta(hours=p.stuck_after_hours)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pid, ts, status, area, site, exception in latest.values():
        if status == "delivered":
            continue
        age = as_of - ts
        l1 = p.l1_exceptions.get(exception) if exception else None
        if l1:
            groups[(l1, site)].append(pid)
        elif exception == "lost" or age >= lost_after:
            groups[("lost", area)].append(pid)
        elif status == "hub_departed" and age > transit:
            groups[("transit_interrupted", area)].append(pid)
        elif age > stuck:
            groups[("backlog", area)].append(pid)
    return [
        Signal(
            kind=kind,
            scope=scope,
            count=len(ids),
            level=level_for(plan, kind, len(ids)),
            ids=tuple(sorted(ids)),
        )
        for (kind, scope), ids in sorted(groups.items())
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    plan = load_plan()
    as_of = START + timedelta(days=4)
    print(f"generating {args.events:,} scans ...", flush=True)
    frame = synthetic_scans(args.events, args.seed)
    rows = frame.rows()

    t = time.perf_counter()
    fast = parcel_signals(frame, as_of, plan)
    polars_s = time.perf_counter() - t
    t = time.perf_counter()
    slow = per_event(rows, as_of, plan)
    python_s = time.perf_counter() - t

    if fast != slow:
        raise SystemExit(f"signals differ: polars {len(fast)} vs per-event {len(slow)}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.events
    print(f"signals: {len(fast)} (identical in both), parcels in trouble: {sum(s.count for s in fast):,}")
    print(f"polars (1 thread):  {polars_s:8.3f} s  {n / polars_s:>14,.0f} events/s")
    print(f"per-event python:   {python_s:8.3f} s  {n / python_s:>14,.0f} events/s   (baseline)")
    print(f"speedup: {python_s / polars_s:.1f}x   peak memory of the process: {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
