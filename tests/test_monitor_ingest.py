"""Ingestion (files and the HTTP batch), dead letters, idempotency, and the live detector feeding
the incident engine without repeating itself across restarts (S3.3, S1.2, S1.5, S1.8)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import polars as pl
from sqlalchemy import func, select

from peakguard.compensation.models import CompensationEntry
from peakguard.db import Database
from peakguard.incidents import queries
from peakguard.incidents.models import Incident, TimelineEntry
from peakguard.monitor import live, service
from peakguard.monitor.events import read_file
from peakguard.monitor.models import DeadLetter, MonitorEvent, ParcelState
from peakguard.monitor.queries import chase_list
from tests.factories import ADMIN, count


def scan(i, pid, ts, **kw):
    return {
        "event_id": f"s{i}",
        "type": "scan",
        "parcel_id": pid,
        "ts": ts.isoformat(),
        "status": "hub_arrived",
        "area": "FZ-01",
        "site": "FZ-HUB",
        "exception": None,
        **kw,
    }


def ingest_rows(db, clock, rows, source="test"):
    with db.transaction() as s:
        return service.ingest(s, ADMIN, clock.now(), enumerate(rows, start=1), source)


def test_bad_rows_go_to_dead_letters_and_good_rows_stay(db, clock, tmp_path):
    good = scan(1, "P1", clock.now())
    lines = [
        json.dumps(good),
        "{broken json",
        json.dumps({**scan(2, "P2", clock.now()), "status": "teleported"}),
        json.dumps({k: v for k, v in scan(3, "P3", clock.now()).items() if k != "area"}),
        json.dumps({**scan(4, "P4", clock.now()), "ts": "2026-11-11 08:00"}),
        json.dumps({**scan(5, "P5", clock.now()), "ts": "yesterday"}),
    ]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with db.transaction() as s:
        result = service.ingest(s, ADMIN, clock.now(), read_file(path), str(path))
    assert result.accepted == 1
    reasons = {r.line: r.reason for r in result.rejected}
    assert "bad JSON" in reasons[2]
    assert reasons[3].startswith("status")
    assert reasons[4].startswith("area") and "required" in reasons[4].lower()
    assert reasons[5].startswith("ts") and "timezone" in reasons[5].lower()
    assert reasons[6].startswith("ts")
    with db.transaction() as s:
        stored = s.scalars(select(DeadLetter).order_by(DeadLetter.line)).all()
    assert [d.line for d in stored] == [2, 3, 4, 5, 6] and stored[0].raw == "{broken json"


def test_the_same_file_twice_changes_nothing(db, clock, tmp_path):
    rows = [scan(i, f"P{i}", clock.now()) for i in range(30)]
    path = tmp_path / "e.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with db.transaction() as s:
        first = service.ingest(s, ADMIN, clock.now(), read_file(path), "f")
    with db.transaction() as s:
        second = service.ingest(s, ADMIN, clock.now(), read_file(path), "f")
    assert (first.accepted, second.accepted, second.duplicates) == (30, 0, 30)
    assert count(db, MonitorEvent) == 30


def test_a_file_in_many_batches_keeps_every_line_and_reason(db, clock, tmp_path):
    """``ingest_file`` a few rows a transaction (on PostgreSQL the next batch is validated in a
    thread while this one is stored): the dead letters keep their file lines across batches, a
    repeat in a later batch is a duplicate, a parcel's latest scan wins across batches, each
    committed batch is reported once, and loading the file again changes nothing."""
    t = clock.now()
    lines = [json.dumps(scan(i, f"P{i % 4}", t + timedelta(seconds=i))) for i in range(1, 12)]
    lines[4] = "{broken json"  # line 5
    lines[8] = json.dumps(scan(2, "P2", t))  # line 9 repeats line 2's event
    lines[10] = json.dumps({**scan(11, "P3", t), "status": "teleported"})  # line 11
    path = tmp_path / "day.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sizes: list[int] = []
    first = service.ingest_file(db, ADMIN, path, clock, on_batch=sizes.append, batch_size=3)
    assert sizes == [3, 3, 3, 2]
    assert (first.accepted, first.duplicates) == (8, 1)
    assert {bad.line: bad.reason.split(":")[0] for bad in first.rejected} == {5: "bad JSON", 11: "status"}
    with db.transaction() as s:
        stored = s.scalars(select(MonitorEvent.event_id).order_by(MonitorEvent.id)).all()
        latest = dict(s.execute(select(ParcelState.parcel_id, ParcelState.ts)).all())
    assert stored == [f"s{i}" for i in (1, 2, 3, 4, 6, 7, 8, 10)]
    assert latest == {"P0": t + timedelta(seconds=8), "P1": t + timedelta(seconds=1),
                      "P2": t + timedelta(seconds=10), "P3": t + timedelta(seconds=7)}  # fmt: skip
    again = service.ingest_file(db, ADMIN, path, clock, batch_size=3)
    assert (again.accepted, again.duplicates, count(db, DeadLetter)) == (0, 9, 2)


def test_csv_and_parquet_carry_the_same_fields(db, clock, tmp_path):
    rows = [scan(i, f"P{i}", clock.now()) for i in range(3)] + [
        {
            "event_id": "o1",
            "type": "order",
            "order_id": "O1",
            "ts": clock.now().isoformat(),
            "shop": "shop-a",
            "status": "created",
            "amount": "99.50",
            "coupon_error": True,
        },
    ]
    frame = pl.DataFrame([{k: (None if v is None else str(v)) for k, v in r.items()} for r in rows])
    frame.write_csv(tmp_path / "e.csv")
    frame.write_parquet(tmp_path / "e.parquet")
    with db.transaction() as s:
        from_csv = service.ingest(s, ADMIN, clock.now(), read_file(tmp_path / "e.csv"), "csv")
    with db.transaction() as s:
        from_parquet = service.ingest(s, ADMIN, clock.now(), read_file(tmp_path / "e.parquet"), "parquet")
    assert (from_csv.accepted, from_csv.rejected) == (4, [])
    assert (from_parquet.accepted, from_parquet.duplicates) == (0, 4)


def test_http_batch_is_idempotent_and_dead_letters_by_position(client, headers_for, clock):
    h = headers_for("member")
    batch = [scan(i, f"P{i}", clock.now()) for i in range(3)] + [{"type": "scan"}, "junk"]
    r = client.post("/api/v1/events", json=batch, headers=h)
    assert r.status_code == 200
    body = r.json()
    assert (body["accepted"], [x["line"] for x in body["rejected"]]) == (3, [4, 5])
    again = client.post("/api/v1/events", json=batch[:3], headers=h).json()
    assert (again["accepted"], again["duplicates"]) == (0, 3)
    dead = client.get("/api/v1/events/dead-letters", headers=h).json()
    assert len(dead) == 2
    assert client.post("/api/v1/events", json={"not": "a list"}, headers=h).status_code == 422
    assert client.post("/api/v1/events", json=batch, headers=headers_for("viewer")).status_code == 403


def test_live_detection_opens_raises_and_never_repeats(db_url, clock, plan):
    db = Database(db_url)
    t0 = clock.now()
    ingest_rows(db, clock, [scan(i, f"P{i}", t0) for i in range(19)])
    clock.advance(hours=12, seconds=1)
    [iid] = live.detection_job(db, clock.now())
    with db.transaction() as s:
        inc = queries.get(s, iid)
        assert (inc.kind, inc.area, inc.count, inc.level, inc.source) == (
            "backlog",
            "FZ-01",
            19,
            "L3",
            "detector",
        )
        assert len(inc.details["ids"]) == 19
    ingest_rows(db, clock, [scan(100, "P100", t0)])
    assert live.detection_job(db, clock.now()) == [iid]
    assert live.detection_job(db, clock.now()) == []  # nothing changed: nothing reported
    db.dispose()
    restarted = Database(db_url)  # a new engine, as after a restart: state comes from the tables
    assert live.detection_job(restarted, clock.now()) == []
    with restarted.transaction() as s:
        inc = queries.get(s, iid)
        assert (inc.count, inc.level) == (20, "L2")
        assert s.scalar(select(func.count()).select_from(Incident)) == 1
        raised = s.scalar(
            select(func.count()).select_from(TimelineEntry).where(TimelineEntry.event == "level_raised")
        )
        assert raised == 1
    restarted.dispose()


def _minute(i, shop, ts, visitors=500, orders=50, paid=45, errors=0):
    return {
        "event_id": f"m{i}",
        "type": "shop_metrics",
        "ts": ts.isoformat(),
        "shop": shop,
        "visitors": visitors,
        "orders": orders,
        "paid_orders": paid,
        "platform_errors": errors,
    }


def test_platform_outage_when_paid_orders_collapse_or_errors_spike(db, clock, plan):
    """S1.2: buyers cannot pay while orders are still created."""
    t0 = clock.now()
    normal = [_minute(i, "shop-a", t0 + timedelta(minutes=i)) for i in range(5)]
    collapse = [_minute(5, "shop-a", t0 + timedelta(minutes=5), paid=3)]
    spike = [
        _minute(10 + i, "shop-b", t0 + timedelta(minutes=i), errors=80 if i == 4 else 0) for i in range(5)
    ]
    ingest_rows(db, clock, normal + collapse + spike)
    clock.set(t0 + timedelta(minutes=5, seconds=30))
    with db.transaction() as s:
        found = {
            (x.kind, x.scope): x.count
            for x in service.detect(s, clock.now(), plan)
            if x.kind == "platform_outage"
        }
    assert found == {("platform_outage", "shop-a"): 1, ("platform_outage", "shop-b"): 1}


def test_coupon_failure_registers_every_affected_order_for_compensation(db, clock, plan):
    """S1.5: register every affected order so it can be compensated later."""
    t0 = clock.now()
    orders = [
        {
            "event_id": f"o{i}",
            "type": "order",
            "order_id": f"O{i}",
            "ts": (t0 + timedelta(seconds=i)).isoformat(),
            "shop": "shop-a",
            "status": "created",
            "amount": "100.00",
            "coupon_error": i % 2 == 0,
        }
        for i in range(10)
    ]
    ingest_rows(db, clock, orders)
    clock.advance(minutes=1)
    live.detection_job(db, clock.now())
    with db.transaction() as s:
        entries = s.scalars(select(CompensationEntry).order_by(CompensationEntry.order_id)).all()
        kinds = [i.kind for i in queries.list_incidents(s, plan=plan)]
    assert [e.order_id for e in entries] == ["O0", "O2", "O4", "O6", "O8"]
    assert all(e.shop == "shop-a" and str(e.order_amount) == "100.00" for e in entries)
    assert "coupon_failure" in kinds


def test_traffic_shortfall_or_conversion_drop_never_both(db, clock, plan):
    """S1.5: first decide from the data whether traffic is short or conversion is low."""
    t0 = clock.now()  # 00:00 in Shanghai: the plan expects 9000 visitors an hour (150 a minute)
    low_traffic = [_minute(i, "shop-a", t0 + timedelta(minutes=i), visitors=40, paid=5) for i in range(5)]
    low_conversion = [
        _minute(10 + i, "shop-b", t0 + timedelta(minutes=i), visitors=200, paid=1) for i in range(5)
    ]
    healthy = [_minute(20 + i, "shop-c", t0 + timedelta(minutes=i), visitors=160, paid=12) for i in range(5)]
    ingest_rows(db, clock, low_traffic + low_conversion + healthy)
    clock.advance(minutes=5)
    with db.transaction() as s:
        found = {(x.kind, x.scope) for x in service.detect(s, clock.now(), plan)}
    assert found == {("traffic_shortfall", "shop-a"), ("conversion_drop", "shop-b")}


def test_chase_list_is_unpaid_after_15_minutes_largest_first(db, clock, plan, db_url):
    t0 = clock.now()

    def order(i, oid, status, minutes, amount):
        return {
            "event_id": f"c{i}",
            "type": "order",
            "order_id": oid,
            "ts": (t0 + timedelta(minutes=minutes)).isoformat(),
            "shop": "shop-a",
            "status": status,
            "amount": amount,
            "coupon_error": False,
        }

    ingest_rows(
        db,
        clock,
        [
            order(1, "A", "created", 0, "50.00"),
            order(2, "B", "created", 0, "300.00"),
            order(3, "C", "created", 0, "80.00"),
            order(4, "C", "paid", 3, "80.00"),
            order(5, "D", "created", 10, "999.00"),
        ],
    )
    clock.set(t0 + timedelta(minutes=15))
    with db.transaction() as s:
        assert [o.order_id for o in chase_list(s, clock.now(), plan)] == ["B", "A"]
    env = {"PEAKGUARD_DATABASE_URL": db_url}
    import os

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "peakguard.cli",
            "chase-list",
            "--at",
            (t0 + timedelta(minutes=30)).isoformat(),
        ],
        env={**os.environ, **env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.index("999.00") < out.index("300.00") < out.index("50.00")


def test_ingest_cli_reports_counts(tmp_path, db_url):
    import os

    path = tmp_path / "e.ndjson"
    from datetime import UTC, datetime

    t = datetime(2026, 11, 11, tzinfo=UTC)
    path.write_text(
        "\n".join(json.dumps(scan(i, f"P{i}", t)) for i in range(7)) + "\nnope\n", encoding="utf-8"
    )
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "ingest", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "accepted 7, duplicates 0, dead-lettered 1" in out
    again = subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "ingest", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "accepted 0, duplicates 7, dead-lettered 1" in again
