"""Hostile and repeated input on the event path (issue 13 items 4 and 11, S3.3): a control
character in one event refuses that event only, on PostgreSQL too (NUL used to fail the whole
batch there); a row refused twice is one dead letter, however often the file is ingested or
the batch posted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select, text

from peakguard.db import alembic_config, upgrade
from peakguard.monitor import service
from peakguard.monitor.events import read_file
from peakguard.monitor.models import DeadLetter, MonitorEvent
from tests.factories import ADMIN, count
from tests.test_monitor_ingest import scan


def test_a_nul_or_control_character_refuses_that_event_and_keeps_the_rest(client, headers_for, clock, db):
    batch = [scan(i, f"P{i}", clock.now()) for i in range(1, 6)]
    batch[1]["parcel_id"] = "P2\u0000"
    batch[3]["area"] = "FZ\u001b[31m"
    r = client.post("/api/v1/events", json=batch, headers=headers_for("member"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 3
    assert [(x["line"], x["reason"].split(":")[0]) for x in body["rejected"]] == [
        (2, "parcel_id"),
        (4, "area"),
    ]
    assert all("control characters" in x["reason"] for x in body["rejected"])
    with db.transaction() as s:
        raws = [d.raw for d in s.scalars(select(DeadLetter).order_by(DeadLetter.line))]
    assert "\x00" not in raws[0] and "P2\\u0000" in raws[0]


def test_a_nul_in_a_line_that_is_not_json_is_dead_lettered_escaped(db, clock, tmp_path):
    path = tmp_path / "e.ndjson"
    path.write_text(json.dumps(scan(1, "P1", clock.now())) + "\n{\u0000broken\n", encoding="utf-8")
    with db.transaction() as s:
        result = service.ingest(s, ADMIN, clock.now(), read_file(path), str(path))
    assert (result.accepted, len(result.rejected)) == (1, 1)
    with db.transaction() as s:
        assert s.scalars(select(DeadLetter.raw)).one() == "{\\u0000broken"


def test_a_time_outside_the_utc_range_refuses_that_event_only(db, clock):
    rows = [scan(1, "P1", clock.now()), {**scan(2, "P2", clock.now()), "ts": "0001-01-01T00:00:00+08:00"}]
    with db.transaction() as s:
        result = service.ingest(s, ADMIN, clock.now(), enumerate(rows, 1), "t")
    assert (
        result.accepted == 1
        and result.rejected[0].reason.startswith("ts")
        and "range" in result.rejected[0].reason
    )


def test_the_same_bad_file_three_times_is_one_set_of_dead_letters(db, clock, tmp_path):
    lines = [json.dumps(scan(i, f"P{i}", clock.now())) for i in range(10)] + ["{broken", '{"type": "scan"}']
    path = tmp_path / "e.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = []
    for _ in range(3):
        with db.transaction() as s:
            results.append(service.ingest(s, ADMIN, clock.now(), read_file(path), str(path)))
    assert count(db, DeadLetter) == 2 and count(db, MonitorEvent) == 10
    assert [(r.accepted, len(r.rejected), r.dead_letters_known) for r in results] == [
        (10, 2, 0),
        (0, 2, 2),
        (0, 2, 2),
    ]


def test_the_same_bad_batch_posted_twice_is_one_set_of_dead_letters(client, headers_for, clock, db):
    batch = [scan(1, "P1", clock.now()), {"type": "scan"}, "not an object"]
    h = headers_for("member")
    first = client.post("/api/v1/events", json=batch, headers=h).json()
    second = client.post("/api/v1/events", json=batch, headers=h).json()
    assert [x["line"] for x in first["rejected"]] == [x["line"] for x in second["rejected"]] == [2, 3]
    assert count(db, DeadLetter) == 2


def test_ingest_cli_three_times_changes_nothing_after_the_first(tmp_path, db_url, clock):
    path = tmp_path / "e.ndjson"
    path.write_text(
        "\n".join(
            [
                json.dumps(scan(1, "P1", clock.now())),
                "{broken",
                json.dumps({**scan(2, "P\u0000", clock.now())}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"}
    outs = [
        subprocess.run(
            [sys.executable, "-m", "peakguard.cli", "ingest", str(path)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for _ in range(3)
    ]
    assert "accepted 1" in outs[0] and "dead-lettered 2" in outs[0]
    assert "accepted 0" in outs[2] and "duplicates 1" in outs[2]
    from peakguard.db import Database

    db = Database(db_url)
    try:
        assert count(db, DeadLetter) == 2
    finally:
        db.dispose()


def test_the_migration_folds_the_dead_letters_earlier_re_ingests_copied(db):
    """Databases that already hold the copies (0009 added the digest): one of each stays."""
    from alembic import command

    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009-1")
    with db.engine.begin() as conn:
        for _ in range(3):
            for line, raw in ((2, "{broken"), (3, "{also broken")):
                conn.execute(
                    text(
                        "INSERT INTO monitor_dead_letters (received_at, source, line, raw, reason)"
                        " VALUES (CURRENT_TIMESTAMP, 'f.ndjson', :line, :raw, 'bad JSON')"
                    ),
                    {"line": line, "raw": raw},
                )
    upgrade(db)
    with db.transaction() as s:
        assert sorted(s.execute(select(DeadLetter.line, DeadLetter.raw)).all()) == [
            (2, "{broken"),
            (3, "{also broken"),
        ]
