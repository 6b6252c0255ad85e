"""The pipeline bench's event-to-incident run (issue 14, S3.3) still runs as the README gives it:
worker processes of ``peakguard monitor --bus`` over a partitioned stream, the feed from a
process of its own, every marker scan an incident. A small run (the figures are the bench's
job, not this test's: only that each stage printed its percentiles)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.test_monitor_bus import NATS_URL, _nats_answers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="the latency run needs PostgreSQL (PEAKGUARD_TEST_DATABASE_URL)"),
    pytest.mark.skipif(not _nats_answers(), reason=f"no NATS server answers at {NATS_URL}"),
]

BENCH = Path(__file__).resolve().parents[1] / "bench" / "pipeline.py"


def test_latency_run_turns_every_marker_into_an_incident() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--latency-only", "--rate", "400", "--seconds", "3", "--in-flight", "2000",
         "--latency-workers", "2", "--latency-partitions", "2"],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    out = " ".join(run.stdout.split())  # Rich wraps long lines
    assert "2 worker(s) ready (checkpoints of 2,000 parcels)" in out
    for stage in ("taken by the consumer (received_at)", "incident opened_at", "incident readable"):
        assert f"to {stage}: p50" in out
