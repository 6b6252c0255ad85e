"""The bulk ingest path (issue 14, S3.3) against the per-event rules it replaced: the fast
decoder never changes a verdict or a reason, and the set-based state writes give exactly what
replaying the events one by one gives (newer scan wins, a later row wins a tie, an order's
creation time, status and coupon flag), whatever the batch boundaries and replays."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from peakguard.monitor import bulk, heartbeat, service, store
from peakguard.monitor.events import Rejected, parse_rows
from peakguard.monitor.models import DeadLetter, MonitorEvent, OrderState, ParcelState, SiteHeard
from tests.factories import ADMIN
from tests.test_monitor_ingest import ingest_rows, scan

TRICKY_TIMES = [
    "2026-11-11T08:00:00+08:00",
    "2026-11-11T08:00:00Z",
    "2026-11-11T08:00:00.1234567+08:00",
    "2026-11-11 08:00:00+08:00",
    "2026-11-11t08:00:00+08:00",
    "2026-11-11T08:00:00",
    "2026-02-30T08:00:00+08:00",
    "20261111T080000+0800",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-01:00",
    1731283200,
    None,
]


@pytest.mark.parametrize("ts", TRICKY_TIMES)
@pytest.mark.parametrize("as_bytes", [True, False])
def test_the_fast_path_gives_the_models_verdict_and_reason(ts, as_bytes, clock):
    row = {**scan(1, "P1", clock.now()), "ts": ts}
    for variant in (row, {**row, "area": "A\u0000"}, {**row, "exception": ""}, {**row, "extra": 1}):
        given = json.dumps(variant).encode() if as_bytes else variant
        (expected,) = parse_rows([(1, variant)])
        batch = bulk.validate([(1, given)])
        if batch.rejected:
            assert batch.rejected[0].reason == getattr(expected, "reason", None), variant
        else:
            (record,) = batch.records
            assert record[3] == expected.ts, variant


ORDER = {"event_id": "o1", "type": "order", "order_id": "O1", "shop": "s", "ts": "2026-11-11T08:00:00+08:00",
         "status": "paid", "amount": "10.00", "coupon_error": False}  # fmt: skip
METRICS = {"event_id": "m1", "type": "shop_metrics", "shop": "s", "ts": "2026-11-11T08:00:00+08:00",
           "visitors": 5, "orders": 4, "paid_orders": 3, "platform_errors": 0}  # fmt: skip
TRICKY_ORDERS_AND_METRICS = [
    *({**ORDER, "amount": a} for a in ["10.00", "0.5", "0", "007.50", "1e3", 10, 10.5, "-1", "123456789012.34",
                                        "1234567890123.45", "1.234", " 1.00", "NaN", "١٢", "1١", True, None]),
    *({**ORDER, "coupon_error": c} for c in [True, "true", 1, None, "yes"]),
    {**ORDER, "status": "refunded"}, {**ORDER, "shop": "s\u007f"}, {**ORDER, "extra": 1},
    {k: v for k, v in ORDER.items() if k != "coupon_error"},
    *({**METRICS, "visitors": v} for v in [0, -1, 5.0, 5.5, "5", 2**70, True, None]),
    {**METRICS, "ts": "2026-11-11T08:00:00"}, {**METRICS, "ts": "2026-11-11T08:00:00.1234567Z"},
]  # fmt: skip


@pytest.mark.parametrize("row", TRICKY_ORDERS_AND_METRICS)
def test_orders_and_metrics_get_the_models_verdict_reason_and_values(row):
    """The chunk decoder takes orders and shop metrics too: each row, alone and in a chunk of
    good scans, gets the models' verdict and reason, and an accepted order the models' values."""
    line = json.dumps(row).encode()
    (expected,) = parse_rows([(1, row)])
    for lines in ([line], [line, *(json.dumps(scan(i, f"P{i}", datetime.fromisoformat(ORDER["ts"]))).encode() for i in range(3))]):
        batch = bulk.validate(enumerate(lines, start=1))
        if isinstance(expected, Rejected):
            assert [(r.line, r.reason) for r in batch.rejected] == [(1, expected.reason)], row
            continue
        assert batch.records[0][1:4] == (expected.event_id, expected.type, expected.ts), row
        if expected.type == "order":
            assert batch.orders[expected.event_id].model_dump() == expected.model_dump(), row


def random_events(rng, base, n, parcels, orders, minutes, scans, sites=1):
    """``n`` scans and orders (``scans`` the share of scans) at whole minutes within ``minutes``
    of ``base``, so many share a time and ties decide; times as datetimes (for :func:`replay`)."""
    events = []
    for i in range(n):
        at = base + timedelta(minutes=rng.randrange(minutes))
        if rng.random() < scans:
            e = scan(i, f"P{rng.randrange(parcels)}", at, status=rng.choice(["hub_arrived", "hub_departed", "delivered"]),
                     area=f"A{rng.randrange(3)}")  # fmt: skip
            if sites > 1:
                e["site"] = f"S{rng.randrange(sites)}"
        else:
            e = {"event_id": f"o{i}", "type": "order", "order_id": f"O{rng.randrange(orders)}", "shop": "s",
                 "status": rng.choice(["created", "paid", "cancelled"]), "amount": "10.00",
                 "coupon_error": rng.random() < 0.1}  # fmt: skip
        e["ts"] = at
        events.append(e)
    return events


def replay(events):
    """The rules, one event at a time, in arrival order (the reference)."""
    parcels, orders, seen = {}, {}, set()
    for e in events:
        if e["event_id"] in seen:
            continue
        seen.add(e["event_id"])
        if e["type"] == "scan":
            state = parcels.get(e["parcel_id"])
            if state is None or e["ts"] >= state[0]:
                parcels[e["parcel_id"]] = (e["ts"], e["status"], e["area"])
        else:
            o = orders.get(e["order_id"])
            if o is None:
                orders[e["order_id"]] = {
                    "created": e["ts"],
                    "ts": e["ts"],
                    "status": e["status"],
                    "coupon": e["coupon_error"],
                }
                continue
            if e["status"] == "created":
                o["created"] = min(o["created"], e["ts"])
            if e["ts"] >= o["ts"]:
                o["ts"], o["status"] = e["ts"], e["status"]
            o["coupon"] = o["coupon"] or e["coupon_error"]
    return parcels, orders


@pytest.mark.parametrize("as_bytes", [True, False])
def test_set_based_state_equals_the_event_by_event_replay(as_bytes, db, clock):
    """As lines (the chunk decoder, orders included) and as decoded rows (the models); on
    PostgreSQL the replays inside the stream are refused by the ``COPY`` and go by the insert
    that skips stored events."""
    rng = random.Random(14)
    events = random_events(rng, clock.now(), 600, parcels=60, orders=40, minutes=30, scans=0.7)
    events += rng.sample(events, 50)  # replays inside the stream
    parcels, orders = replay(events)
    wire = [{**e, "ts": e["ts"].isoformat()} for e in events]
    if as_bytes:
        wire = [json.dumps(e).encode() for e in wire]
    at = 0
    while at < len(wire):
        size = rng.randrange(1, 90)
        with db.transaction() as s:
            service.ingest(s, ADMIN, clock.now(), enumerate(wire[at : at + size], at + 1), "t")
        at += size
    with db.transaction() as s:  # the whole stream once more: nothing changes
        again = service.ingest(s, ADMIN, clock.now(), enumerate(wire, 1), "t")
    assert again.accepted == 0
    with db.transaction() as s:
        stored = {p.parcel_id: (p.ts, p.status, p.area) for p in s.scalars(select(ParcelState))}
        stored_orders = {
            o.order_id: {"created": o.created_at, "ts": o.ts, "status": o.status, "coupon": o.coupon_error}
            for o in s.scalars(select(OrderState))
        }
    assert stored == parcels
    assert stored_orders == orders


def good_lines(clock, n, start=0):
    return [json.dumps(scan(start + i, f"P{start + i}", clock.now())).encode() for i in range(n)]


def alone(line, row):
    """The verdict a row gets on its own (a chunk of one still decodes as a chunk, so the
    reference is the models)."""
    (expected,) = parse_rows([(line, row)])
    return expected.reason if isinstance(expected, Rejected) else expected.event_id


@pytest.mark.parametrize(
    "bad",
    [
        b'{"event_id": "x", "type": "scan"}',  # fields missing
        b'{"event_id": "x", "type": "scan", "parcel_id": "P", "ts": "2026-02-30T08:00:00+08:00", '
        b'"status": "hub_arrived", "area": "A", "site": "S"}',  # a date that does not exist
        b'{"event_id": "x\\u0001", "type": "scan", "parcel_id": "P", "ts": "2026-11-11T08:00:00Z", '
        b'"status": "hub_arrived", "area": "A", "site": "S"}',  # an escaped control character
        b'{"event_id": "x", "type": "scan", "parcel_id": "P", "ts": "2026-11-11T08:00:00Z", '
        b'"status": "hub_arrived", "area": "A\x7f", "site": "S"}',  # DEL, which JSON allows raw
        b'{"event_id": "x", "type": "scan"}}',  # trailing garbage
        b'{"event_id": "x", "type": "scan", "parcel_id": "P", "ts": "2026-11-11T08:00:00Z", '
        b'"status": "hub_arrived", "area": "A", "site": "S"}, {"event_id": "y", "type": "scan", '
        b'"parcel_id": "P", "ts": "2026-11-11T08:00:00Z", "status": "hub_arrived", "area": "A", '
        b'"site": "S"}',  # two good scans on one line: one element too many in the chunk
    ],
)
def test_one_bad_row_in_a_decoded_chunk_costs_only_itself(bad, db, clock):
    lines = good_lines(clock, 300) + [bad] + good_lines(clock, 300, start=300)
    batch = bulk.validate(enumerate(lines, start=1))
    assert [r.line for r in batch.rejected] == [301]
    assert batch.rejected[0].reason == alone(301, bad)
    assert [r[0] for r in batch.records] == [n for n in range(1, 602) if n != 301]
    result = ingest_rows(db, clock, lines)
    assert result.accepted == 600
    assert [(r.line, r.reason) for r in result.rejected] == [(301, alone(301, bad))]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ParcelState)) == 600
        assert s.scalars(select(DeadLetter.line)).all() == [301]


def test_lines_that_would_join_or_split_inside_a_chunk_keep_their_own_verdicts(clock):
    """Joined into one array by plain commas, a line holding two scans and two halves of one
    scan (each half ending in ``}``, both looking like scans) would give as many elements as
    there are lines, every one a good scan: each line must still be judged as the line it is."""
    one, two, three = (json.dumps(scan(i, f"P{i}", clock.now())) for i in (1, 2, 3))
    fields = {k: v for k, v in scan(4, "P4", clock.now()).items() if k not in ("site", "area")}
    halves = json.dumps({**fields, "site": "ab}, {cd", "area": "scan"})
    first, second = halves.split("}, {", 1)
    lines = [f"{one}, {two}".encode(), f"{first}}}".encode(), f"{{{second}".encode(), three.encode()]
    assert all(b'"scan"' in line for line in lines)
    batch = bulk.validate(enumerate(lines, start=1))
    assert [r[1] for r in batch.records] == ["s3"]
    assert {r.line: r.reason for r in batch.rejected} == {
        n: alone(n, line) for n, line in enumerate(lines[:3], 1)
    }


def test_the_chunked_decoder_keeps_order_ties_and_first_of_repeated_ids(clock):
    at = clock.now().isoformat()
    rows = [
        json.dumps({**scan(1, "P1", clock.now()), "status": "hub_arrived"}).encode(),
        json.dumps(
            {
                "event_id": "o1",
                "type": "order",
                "order_id": "O1",
                "shop": "s",
                "ts": at,
                "status": "created",
                "amount": "1.00",
            }
        ).encode(),  # fmt: skip
        json.dumps({**scan(1, "P1", clock.now()), "status": "delivered"}).encode(),  # the same id again
        json.dumps({**scan(2, "P1", clock.now()), "status": "hub_departed"}).encode(),
    ]
    batch = bulk.validate(enumerate(rows, start=1))
    assert [(r[0], r[1], r[6]) for r in batch.records] == [
        (1, "s1", "hub_arrived"),
        (2, "o1", "created"),
        (4, "s2", "hub_departed"),
    ]
    assert batch.repeated == 1
    assert store.latest_scans(batch.records) == [batch.records[2]]


def test_concurrent_batches_sharing_parcels_in_other_orders_do_not_deadlock(db, clock, db_url):
    """Two writers, the second holding B and wanting A while the first, holding A, wants B,
    deadlocked (one HTTP batch failed) when each batch locked its parcels in arrival order."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: no two batches hold locks at once")
    now = clock.now()
    first = db.sessions()
    service.ingest(first, ADMIN, now, [(1, scan(1, "A", now))], "first")  # holds A
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with db.transaction() as s:  # B then A as they arrive
                service.ingest(s, ADMIN, now, [(1, scan(2, "B", now)), (2, scan(3, "A", now))], "second")
        except BaseException as exc:  # reported by the assertion below
            failed.append(exc)

    worker = threading.Thread(target=second)
    worker.start()
    for _ in range(300):  # waiting for the second batch to block, not timing it
        # A transaction of its own each look: PostgreSQL keeps one pg_stat_activity snapshot per
        # transaction, so a loop inside one transaction saw the first look's answer every time
        # (the test failed whenever it looked before the second batch had blocked).
        with db.transaction() as s:
            waiting = s.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting or not worker.is_alive():
            break
        time.sleep(0.1)
    assert waiting == 1, (worker.is_alive(), failed)  # the second batch waits for A
    service.ingest(first, ADMIN, now, [(1, scan(4, "B", now))], "first")  # and now wants B
    first.commit()
    first.close()
    worker.join(30)
    assert not failed
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ParcelState)) == 2


def test_a_batch_rolled_back_leaves_nothing_behind(db, clock):
    """The events' ``COPY`` is the first statement of its transaction: it must stay inside it
    (psycopg's own transaction block took itself for the outer one there and committed it)."""
    session = db.sessions()
    try:
        result = service.ingest(session, ADMIN, clock.now(), enumerate(good_lines(clock, 50), 1), "t")
        assert result.accepted == 50
        session.rollback()
    finally:
        session.close()
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(MonitorEvent)) == 0
        assert s.scalar(select(func.count()).select_from(ParcelState)) == 0


def test_backslashes_quotes_and_chinese_come_back_as_sent(db, clock):
    """The events' ``COPY`` text escapes the backslash (``\\N`` is its NULL, ``\\t`` its tab):
    ids, labels and the payload come back exactly as sent."""
    row = {**scan(1, "P\\1", clock.now()), "event_id": "a\\N", "area": 'A"q', "site": "S\\t\\\\x"}
    other = {**scan(2, "P2", clock.now()), "area": "区域", "site": "站点"}
    lines = [json.dumps(row).encode(), json.dumps(other, ensure_ascii=False).encode()]
    assert ingest_rows(db, clock, lines).accepted == 2
    with db.transaction() as s:
        events = {e.event_id: e for e in s.scalars(select(MonitorEvent))}
        parcels = {p.parcel_id: (p.area, p.site) for p in s.scalars(select(ParcelState))}
    assert events["a\\N"].subject == "P\\1" and events["a\\N"].payload["site"] == "S\\t\\\\x"
    assert (events["s2"].scope, events["s2"].payload) == ("区域", {"site": "站点"})
    assert parcels == {"P\\1": ('A"q', "S\\t\\\\x"), "P2": ("区域", "站点")}


@pytest.mark.parametrize("as_bytes", [True, False])
def test_the_payload_keeps_only_what_no_column_holds(as_bytes, db, clock):
    """A stored event's payload is its fields beyond the columns (a null one left out), the same
    by the fast decoder (lines) and the models (decoded rows, an amount as a number): storing
    the whole event wrote the id, type, time, parcel, area and status twice (issue 14)."""
    now = clock.now()
    rows = [
        scan(1, "P1", now),
        {**scan(2, "P2", now), "status": "exception", "exception": "damaged"},
        {**ORDER, "amount": "12.50" if as_bytes else 12.5},
        METRICS,
    ]
    given = [json.dumps(r).encode() for r in rows] if as_bytes else rows
    assert ingest_rows(db, clock, given).accepted == 4
    with db.transaction() as s:
        stored = {e.event_id: (e.subject, e.scope, e.status, e.payload) for e in s.scalars(select(MonitorEvent))}
    assert stored == {
        "s1": ("P1", "FZ-01", "hub_arrived", {"site": "FZ-HUB"}),
        "s2": ("P2", "FZ-01", "exception", {"site": "FZ-HUB", "exception": "damaged"}),
        "o1": ("O1", "s", "paid", {"amount": "12.50" if as_bytes else "12.5", "coupon_error": False}),
        "m1": ("s", "s", None, {"visitors": 5, "orders": 4, "paid_orders": 3, "platform_errors": 0}),
    }


def test_each_sites_newest_scan_is_heard_once_per_step_and_trimmed_to_the_newest(db, clock):
    """``site_heard`` (the heartbeat's source): a scan older than its parcel's stored one still
    says its site spoke; a site's time never moves back; a replay or a scan within
    ``HEARD_STEP`` of the site's stored time adds no row; the heartbeat's trim keeps each
    site's newest time only."""
    t0 = clock.now()
    later = t0 + timedelta(minutes=5)
    ingest_rows(db, clock, [json.dumps(r).encode() for r in [scan(1, "P1", later, site="A"), scan(2, "P2", t0, site="B")]])
    second = [
        scan(3, "P1", t0 + timedelta(minutes=2), site="C"),  # older than P1's stored scan
        scan(4, "P3", t0 - timedelta(minutes=1), site="A"),  # older than A's newest
        scan(5, "P4", t0 + timedelta(minutes=1), site="B"),
        scan(6, "P5", t0 + timedelta(minutes=3), site="B"),
    ]
    ingest_rows(db, clock, second)
    ingest_rows(db, clock, second)  # a replay
    ingest_rows(db, clock, [scan(7, "P6", t0 + timedelta(minutes=3) + store.HEARD_STEP / 2, site="B")])
    newest = {"A": later, "B": t0 + timedelta(minutes=3), "C": t0 + timedelta(minutes=2)}
    with db.transaction() as s:
        assert {k: at for k, (_name, at) in heartbeat.last_seen(s, None).items()} == {
            f"site:{site}": at for site, at in newest.items()
        }
        assert s.scalar(select(func.count()).select_from(SiteHeard)) == 4  # B twice
        heartbeat.forget_superseded(s)
    with db.transaction() as s:
        assert sorted(s.execute(select(SiteHeard.site, SiteHeard.ts)).all()) == sorted(newest.items())
        parcel = s.get(ParcelState, "P1")
    assert parcel is not None and parcel.site == "A"
