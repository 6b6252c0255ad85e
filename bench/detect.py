"""Benchmark of the parcel detectors (issue 3, S3.3): the checkpoint with compiled kernels that
the live job, the bus consumer and `peakguard detect` use (``monitor.parcels.ParcelCheckpoint``),
against a plain per-event Python implementation of the same rules, on the same synthetic scans
in the same process. Both must give identical signals, ids included (longest silent first).

    ./dev bench detect                 # 5 million scans, one core
    ./dev bench detect --events 500000 # a quick run

Both read the same input: scans as they are stored after ingest, with parcel ids, areas and
sites interned to integer codes and times as microseconds since the epoch (the per-event side
gets them as one tuple of ints per scan, the checkpoint side as columns). Interning the strings
is ingest's work and is timed on its own line, as is compiling the kernels (once per process).
The checkpoint side folds the scans in micro-batches (``--batch``), as the consumer does, then
classifies. Prints events/s of each, the speedup, and the process's peak memory.
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

from peakguard.monitor.parcels import (  # noqa: E402
    DELIVERED,
    EXCEPTION_CODE,
    HUB_DEPARTED,
    LOST_EXCEPTION,
    SCAN_SCHEMA,
    Names,
    ParcelCheckpoint,
    to_us,
)
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
    ).cast(SCAN_SCHEMA)


def per_event(rows: list[tuple[int, ...]], names: Names, as_of: datetime, plan: Plan) -> list[Signal]:
    """The same rules, one event at a time, as someone would write them without arrays: rows
    are (parcel code, µs, status code, area code, site code, exception code)."""
    p = plan.detection
    latest: dict[int, tuple[int, ...]] = {}
    for row in rows:
        previous = latest.get(row[0])
        if previous is None or row[1] >= previous[1]:
            latest[row[0]] = row
    now = to_us(as_of)
    lost_after = timedelta(hours=p.lost_after_hours) // timedelta(microseconds=1)
    transit = timedelta(hours=p.transit_timeout_hours) // timedelta(microseconds=1)
    stuck = timedelta(hours=p.stuck_after_hours) // timedelta(microseconds=1)
    l1_of = {EXCEPTION_CODE[e]: kind for e, kind in p.l1_exceptions.items() if e in EXCEPTION_CODE}
    parcels, areas, sites = names.parcels.names, names.areas.names, names.sites.names
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for code, ts, status, area, site, exception in latest.values():
        if status == DELIVERED:
            continue
        age = now - ts
        l1 = l1_of.get(exception)
        if l1:
            groups[(l1, sites[site])].append((ts, parcels[code]))
        elif exception == LOST_EXCEPTION or age >= lost_after:
            groups[("lost", areas[area])].append((ts, parcels[code]))
        elif status == HUB_DEPARTED and age > transit:
            groups[("transit_interrupted", areas[area])].append((ts, parcels[code]))
        elif age > stuck:
            groups[("backlog", areas[area])].append((ts, parcels[code]))
    return [
        Signal(
            kind=kind,
            scope=scope,
            count=len(parcels_in),
            level=level_for(plan, kind, len(parcels_in)),
            ids=tuple(parcel for _, parcel in sorted(parcels_in)),
        )
        for (kind, scope), parcels_in in sorted(groups.items())
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--batch", type=int, default=100_000, help="micro-batch size of the fold")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    plan = load_plan()
    as_of = START + timedelta(days=4)
    n = args.events
    print(f"generating {n:,} scans ...", flush=True)
    frame = synthetic_scans(n, args.seed)

    names = Names()
    t = time.perf_counter()
    columns = names.encode_frame(frame)
    intern_s = time.perf_counter() - t
    del frame
    rows = list(
        zip(
            columns.parcel.tolist(),
            columns.ts.tolist(),
            columns.status.tolist(),
            columns.area.tolist(),
            columns.site.tolist(),
            columns.exception.tolist(),
            strict=True,
        )
    )

    t = time.perf_counter()
    warm_up = ParcelCheckpoint(names)  # compiles the kernels, or loads them from the disk cache
    warm_up.update(columns.slice(0, 1000))
    if not warm_up.signals(as_of, plan):
        raise SystemExit("the warm-up found no signal, so not every kernel was compiled")
    del warm_up
    compile_s = time.perf_counter() - t

    t = time.perf_counter()
    checkpoint = ParcelCheckpoint(names)
    for start in range(0, n, args.batch):
        checkpoint.update(columns.slice(start, start + args.batch))
    fold_s = time.perf_counter() - t
    fast = checkpoint.signals(as_of, plan)
    fast_s = time.perf_counter() - t
    t = time.perf_counter()
    slow = per_event(rows, names, as_of, plan)
    python_s = time.perf_counter() - t

    if fast != slow:
        raise SystemExit(f"signals differ: checkpoint {len(fast)} vs per-event {len(slow)}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"signals: {len(fast)} (identical in both), parcels in trouble: {sum(s.count for s in fast):,}")
    print(f"parcels: {len(names.parcels):,}, micro-batches of {args.batch:,}")
    print(
        f"checkpoint (1 core): {fast_s:8.3f} s  {n / fast_s:>14,.0f} events/s"
        f"   (fold {fold_s:.3f} s + classify {fast_s - fold_s:.3f} s)"
    )
    print(f"per-event python:    {python_s:8.3f} s  {n / python_s:>14,.0f} events/s   (baseline)")
    print(f"speedup: {python_s / fast_s:.1f}x   peak memory of the process: {peak_mib:,.0f} MiB")
    print(f"compiling the kernels, once per process (cached on disk): {compile_s:.3f} s")
    print(
        f"interning the strings at ingest (not in either figure): {intern_s:.3f} s"
        f"  {n / intern_s:,.0f} events/s; with it the checkpoint side is "
        f"{n / (intern_s + fast_s):,.0f} events/s"
    )


if __name__ == "__main__":
    main()
