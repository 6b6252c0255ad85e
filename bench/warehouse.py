"""Benchmark of scan-confirmed picking (issue 4, S2.9): a real ``uvicorn`` server in a
subprocess, against SQLite and against PostgreSQL, with pick tasks seeded through the service
functions; concurrent scanners (httpx, one connection each) drive
``POST /api/v1/warehouse/tasks/{id}/scan`` and every answer must be a good 200.

    ./dev bench warehouse                      # both databases, 32 pickers, a scan a second each
    ./dev bench warehouse --pace 0             # back to back: the server's capacity
    ./dev bench warehouse --scanners 16 --scans 50 --only sqlite
    ./dev bench warehouse --workers 4          # uvicorn worker processes, on a bigger box

The target, p99 < 50 ms at 32 concurrent scanners on PostgreSQL, is about people on a floor:
by default each of the 32 pickers scans about once a second (``--pace 1``: the interval drawn
between 0.5 and 1.5 s, a mean of one second, which is faster than a picker walks from bin to
bin). ``--pace 0`` fires every next scan the instant the last is answered, so 32 requests are
always in flight: a saturation test of throughput, not of a floor.

Prints scans/s, p50 and p99 latency for one scanner alone, back to back (the baseline, same
run), and for N scanners at the pace, the ratios N : 1, and whether the target is met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.clock import SystemClock
from peakguard.db import Database, normalise_url
from peakguard.plan.service import load_plan
from peakguard.warehouse import billing, clients, inbound, outbound, picking, skus

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_P99_MS = 50.0
ADMIN = Actor(name="bench:admin", role="admin")
QTY_PER_TASK = 10
console = Console()


@dataclass
class Task:
    id: int
    location: str
    barcode: str
    quantity: int


def seed(url: str, scans: int) -> tuple[str, list[Task]]:
    """A client, 64 locations each holding its own SKU, enough one-line orders for ``scans``
    unit scans, allocated and released as one wave; an operator token."""
    db = Database(url)
    db.upgrade()
    plan = load_plan()
    now = SystemClock().now()
    n_sku = 64
    per_sku = scans // n_sku + QTY_PER_TASK * 2
    with db.transaction() as s:
        client = clients.create_client(s, ADMIN, now, code="bench", name="Bench shop")
        bay = clients.create_bay(s, ADMIN, now, code="B", area_m2="500")
        locs = clients.create_locations(
            s, ADMIN, now, bay_id=bay.id, racks=[f"{r:02d}" for r in range(16)], levels=["1", "2", "3", "4"]
        )
        billing.set_price(s, ADMIN, now, code="outbound_order", amount="1")
        codes = [f"S{i:03d}" for i in range(n_sku)]
        for code in codes:
            skus.create_sku(s, ADMIN, now, client_id=client.id, code=code, name=code)
        plan_id = inbound.create_plan(
            s, ADMIN, now, client_id=client.id, lines=[inbound.PlanLineIn(c, per_sku) for c in codes]
        ).id
        for sku in skus.list_skus(s, ADMIN, client.id):
            inbound.receive(s, ADMIN, now, plan_id=plan_id, barcode=sku.barcode, quantity=per_sku)
        for code, loc in zip(codes, locs, strict=True):
            pallet = inbound.palletize(
                s, ADMIN, now, client_id=client.id, items=[inbound.PalletItem(code, per_sku)]
            )
            inbound.putaway(s, ADMIN, now, pallet_id=pallet.id, location_code=loc.code)
        orders = [
            outbound.create_order(
                s,
                ADMIN,
                now,
                plan,
                client_id=client.id,
                ref=f"B-{i}",
                carrier="sf",
                lines=[outbound.OrderLineIn(codes[i % n_sku], QTY_PER_TASK)],
            ).id
            for i in range(-(-scans // QTY_PER_TASK))
        ]
        for order_id in orders:
            outbound.allocate(s, ADMIN, now, order_id)
        wave = outbound.create_wave(s, ADMIN, now)
        tasks = [
            Task(t.id, loc.code, sku.barcode, t.quantity) for t, loc, sku in outbound.wave_tasks(s, wave.id)
        ]
        auth.create_user(s, ADMIN, now, username="bench-op", password="bench-pass-1", role="warehouse")
        token = auth.create_token(s, ADMIN, now, username="bench-op", name="bench")
        assert picking.next_task(s, wave.id) is not None
    db.dispose()
    return token, tasks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "peakguard.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(workers),
        ],
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


async def drive(
    base: str, token: str, tasks: list[Task], scanners: int, scans: int, pace: float
) -> tuple[list[float], float]:
    """``scanners`` pickers share the task list; each claims the next task and scans its units
    one by one, about ``pace`` seconds apart (0: back to back, the server's limit). Paced pickers
    start spread over one pace and wait between 0.5 and 1.5 paces after each answer, as people
    do: a fixed interval would keep pickers that were answered together in lockstep for the
    rest of the run. Returns every scan's latency and the wall time."""
    queue: asyncio.Queue[Task] = asyncio.Queue()
    for task in tasks:
        queue.put_nowait(task)
    latencies: list[float] = []
    left = [scans]
    jitter = random.Random(7)

    async def picker(number: int, http: httpx.AsyncClient) -> None:
        if pace:  # people do not start in the same millisecond: spread the first scans over a pace
            await asyncio.sleep(pace * number / scanners)
        while left[0] > 0 and not queue.empty():
            task = queue.get_nowait()
            for _ in range(task.quantity):
                if left[0] <= 0:
                    return
                left[0] -= 1
                t0 = time.perf_counter()
                answer = await http.post(
                    f"/api/v1/warehouse/tasks/{task.id}/scan",
                    json={"location": task.location, "barcode": task.barcode},
                )
                latencies.append(time.perf_counter() - t0)
                if answer.status_code != 200:
                    raise RuntimeError(f"scan failed: {answer.status_code} {answer.text}")
                if pace:
                    await asyncio.sleep(pace * jitter.uniform(0.5, 1.5))

    async with contextlib.AsyncExitStack() as stack:
        # Every scanner's client (its own connection) is made before the clock starts: making
        # one loads a TLS context (~40 ms of CPU, even for plain HTTP) and would block the event
        # loop while other scanners' requests are in flight, counted as their latency.
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            )
            for _ in range(scanners)
        ]
        # The load generator's own full collections (~100 ms over the objects of the seeding)
        # would be counted as the server's latency: what exists now is frozen out of them.
        gc.collect()
        gc.freeze()
        start = time.perf_counter()
        await asyncio.gather(*(picker(n, http) for n, http in enumerate(clients)))
        return latencies, time.perf_counter() - start


@dataclass
class Result:
    backend: str
    scanners: int
    pace: float
    scans: int
    per_second: float
    p50_ms: float
    p99_ms: float


def summarise(backend: str, scanners: int, pace: float, latencies: list[float], wall: float) -> Result:
    cuts = statistics.quantiles(latencies, n=100)
    return Result(
        backend, scanners, pace, len(latencies), len(latencies) / wall, cuts[49] * 1000, cuts[98] * 1000
    )


def run_backend(
    backend: str, url: str, scanners: int, scans: int, pace: float, workers: int, progress: Progress
) -> list[Result]:
    baseline_scans = max(scans // 4, 100)
    # Not measured: the first requests compile statements and open the connections. Warmed
    # with as many scanners as the measured run, so the pool is at the size it keeps all day
    # (a server on a warehouse floor has been up for hours; opening a connection is ~50 ms).
    warm = scanners * QTY_PER_TASK
    total = warm + baseline_scans + scans * scanners
    step = progress.add_task(f"{backend}: seeding {total} scans", total=4)
    token, tasks = seed(url, total)
    progress.advance(step)
    port = free_port()
    server = start_server(url, port, workers)
    progress.advance(step)
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(drive(base, token, tasks[:scanners], scanners, warm, 0))
        tasks = tasks[scanners:]
        per_task = -(-baseline_scans // QTY_PER_TASK)
        lat1, wall1 = asyncio.run(drive(base, token, tasks[:per_task], 1, baseline_scans, 0))
        progress.advance(step)
        latn, walln = asyncio.run(drive(base, token, tasks[per_task:], scanners, scans * scanners, pace))
        progress.advance(step)
    finally:
        server.terminate()
        server.wait(10)
    return [summarise(backend, 1, 0, lat1, wall1), summarise(backend, scanners, pace, latn, walln)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scanners", type=int, default=32)
    parser.add_argument("--scans", type=int, default=60, help="scans per scanner")
    parser.add_argument(
        "--pace", type=float, default=1.0, help="mean seconds between one scanner's scans (0: back to back)"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--pg", default=PG_URL, help="PostgreSQL server; a scratch database is made and dropped"
    )
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp, Progress(console=console) as progress:
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            results += run_backend(
                "sqlite", url, args.scanners, args.scans, args.pace, args.workers, progress
            )
        if args.only in (None, "postgresql"):
            base = make_url(normalise_url(args.pg))
            name = f"peakguard_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = base.set(database=name).render_as_string(hide_password=False)
                results += run_backend(
                    "postgresql", url, args.scanners, args.scans, args.pace, args.workers, progress
                )
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    table = Table(
        title="scan-confirm picking (POST /api/v1/warehouse/tasks/{id}/scan)",
        padding=(0, 1) if console.width >= 100 else (0, 0),  # 80 columns when not a terminal
    )
    for col in (
        "database",
        "scanners",
        "pace",
        "scans",
        "scans/s",
        "p50 ms",
        "p99 ms",
        "/s vs 1",
        "p99 vs 1",
    ):
        table.add_column(col, justify="right")
    for r in results:
        one = next(x for x in results if x.backend == r.backend and x.scanners == 1)
        table.add_row(
            r.backend,
            str(r.scanners),
            f"{r.pace:g} s" if r.pace else "none",
            str(r.scans),
            f"{r.per_second:.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.per_second / one.per_second:.2f}x",
            f"{r.p99_ms / one.p99_ms:.2f}x",
        )
    console.print(table)
    for r in results:
        if r.backend == "postgresql" and r.scanners > 1:
            verdict = "met" if r.p99_ms < TARGET_P99_MS else "NOT met"
            console.print(
                f"target p99 < {TARGET_P99_MS:.0f} ms at {r.scanners} scanners on PostgreSQL, "
                f"{f'pace {r.pace:g} s' if r.pace else 'back to back'}: {verdict} ({r.p99_ms:.1f} ms)"
            )


if __name__ == "__main__":
    main()
