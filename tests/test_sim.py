"""The simulated peak day scored against its truth (S3.3, S1.2, S1.5, S1.8): streamed in as it
would arrive and detected live, every injected fault is found at its level and nothing the truth
does not explain reaches Level 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from peakguard.clock import parse_iso
from peakguard.incidents import queries
from peakguard.monitor import live
from peakguard.monitor import service as monitor
from peakguard.sim.generator import generate
from peakguard.sim.score import score
from tests.conftest import START
from tests.factories import ADMIN


def test_every_injected_fault_is_found_and_no_false_level_2(db, plan):
    day = generate(plan, parcels=1500, areas=8, seed=7, start=START)
    stamps = [parse_iso(e["ts"]) for e in day.events]
    checkpoints = [START + timedelta(minutes=m) for m in range(0, 120, 5)]
    checkpoints += [START + timedelta(hours=h) for h in range(2, 25)]
    sent = 0
    for at in checkpoints:
        upto = sent
        while upto < len(day.events) and stamps[upto] <= at:
            upto += 1
        with db.transaction() as s:
            monitor.ingest(s, ADMIN, at, enumerate(day.events[sent:upto], start=sent + 1), "sim")
        sent = upto
        live.detection_job(db, at)
    with db.transaction() as s:
        alarms = [(i.kind, i.area, i.level) for i in queries.list_incidents(s, plan=plan, limit=1000)]
    result = score(day.truth(), alarms, plan)
    assert result.missed == [] and result.false_alarms == [], (result, alarms)
    assert len(result.found) == len(day.faults) == 6


def test_faults_form_in_the_first_hour_and_rise_in_level(db, plan):
    """For the demo: within the first simulated hour the backlog opens at L3 and rises to L2."""
    day = generate(plan, parcels=200, areas=4, seed=3, start=START)
    early = [e for e in day.events if parse_iso(e["ts"]) <= START + timedelta(minutes=20)]
    with db.transaction() as s:
        monitor.ingest(s, ADMIN, START, enumerate(early, start=1), "sim")
    live.detection_job(db, START + timedelta(minutes=20))
    live.detection_job(db, START + timedelta(minutes=59))
    with db.transaction() as s:
        backlog = next(i for i in queries.list_incidents(s, plan=plan) if i.kind == "backlog")
        events = [t.event for t in backlog.timeline]
    assert backlog.level == "L2" and "level_raised" in events


def test_sim_cli_writes_events_and_truth(tmp_path):
    out, truth = tmp_path / "day.ndjson", tmp_path / "truth.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "peakguard.cli",
            "sim",
            "--parcels",
            "300",
            "--areas",
            "5",
            "--seed",
            "1",
            "--out",
            str(out),
            "--truth",
            str(truth),
            "--start",
            START.isoformat(),
        ],
        env={**os.environ},
        check=True,
        capture_output=True,
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    stamps = [json.loads(line)["ts"] for line in lines]
    assert stamps == sorted(stamps, key=parse_iso)
    kinds = {f["kind"] for f in json.loads(truth.read_text())["faults"]}
    assert kinds == {
        "backlog",
        "transit_interrupted",
        "lost",
        "robbery_theft",
        "platform_outage",
        "coupon_failure",
    }
