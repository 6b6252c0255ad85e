"""Start-up of the ``peakguard`` command (issue 14: ``--help`` and a one-shot command in under
0.3 s): wall time and CPU (user + system) of each command as its own process, beside three
floors measured in the same run: ``python -c pass``, ``import sqlalchemy.orm`` (the least any
command that opens the database can cost) and the libraries a one-shot command imports before
any of PeakGuard's own code runs (SQLAlchemy with its SQLite dialect, pydantic-settings and so
pydantic, Typer, Rich, PyYAML), so what is left above that line is PeakGuard's. Commands alternate run by run, so a burst
of load from other work hits all of them alike; the median and the best of ``--runs`` are
printed, with the load average before and after.

    ./dev bench cli             # 7 runs of each
    ./dev bench cli --runs 3    # a quick run

The one-shot commands run against a SQLite file in a temporary directory, migrated (and given
one incident) before the timed runs, as it is on a machine that has been used before. Python's
bytecode is compiled first (``compileall``), as ``pip install`` does for an installed package.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import peakguard

PYTHON = sys.executable
PEAKGUARD = shutil.which("peakguard", path=str(Path(PYTHON).parent)) or "peakguard"
TARGET = 0.3
LIBRARIES = "import sqlalchemy.orm, sqlalchemy.dialects.sqlite, pydantic_settings, typer, typer._adapters, rich.table, yaml"
"""What ``peakguard incident list`` imports besides PeakGuard (``typer._adapters`` is where Typer
builds its pydantic parameter checks, loaded when a command's options are parsed)."""


def commands() -> list[tuple[str, list[str]]]:
    return [
        ("python -c pass", [PYTHON, "-c", "pass"]),
        ("python -c 'import sqlalchemy.orm'", [PYTHON, "-c", "import sqlalchemy.orm"]),
        ("python -c 'import <the libraries>'", [PYTHON, "-c", LIBRARIES]),
        ("peakguard --help", [PEAKGUARD, "--help"]),
        ("peakguard plan show", [PEAKGUARD, "plan", "show"]),
        ("peakguard incident list", [PEAKGUARD, "incident", "list"]),
        ("peakguard incident show 1", [PEAKGUARD, "incident", "show", "1"]),
        ("peakguard incident open", [PEAKGUARD, "incident", "open", "--kind", "fire", "--area", "BENCH"]),
        ("peakguard chase-list", [PEAKGUARD, "chase-list"]),
    ]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    compileall.compile_dir(Path(peakguard.__file__).parent, quiet=1)
    work = Path(tempfile.mkdtemp(prefix="peakguard-bench-cli-"))
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": f"sqlite:///{work / 'bench.db'}", "PEAKGUARD_LANG": "en"}
    try:
        subprocess.run(
            [PEAKGUARD, "incident", "open", "--kind", "fire", "--area", "BENCH"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        runs = commands()
        load_before = os.getloadavg()
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in runs}
        for _ in range(args.runs):
            for name, argv in runs:
                results[name].append(timed(argv, env))
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {args.runs} runs each")
    print(f"{'command':36} {'wall median':>11} {'wall best':>9} {'CPU median':>10} {'CPU best':>8}")
    for name, times in results.items():
        walls = [w for w, _ in times]
        cpus = [c for _, c in times]
        print(
            f"{name:36} {statistics.median(walls):10.3f}s {min(walls):8.3f}s "
            f"{statistics.median(cpus):9.3f}s {min(cpus):7.3f}s"
        )
    print(f"target: under {TARGET} s wall for --help and a one-shot command")


if __name__ == "__main__":
    main()
