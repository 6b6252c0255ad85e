"""Server-rendered SVG charts (issue 5): numbers become shapes inside the view box, scaled to a
round axis top, so a chart never overflows its frame and reads the same on every screen."""

from __future__ import annotations

from peakguard.web.charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, Chart, Series, nice_ceiling


def test_the_axis_top_is_a_round_number_at_or_above_the_largest_value():
    assert [nice_ceiling(v) for v in (0, 1, 7, 20, 21, 180, 999)] == [1, 1, 10, 20, 50, 200, 1000]


def test_bars_stay_in_the_frame_and_the_tallest_reaches_its_value():
    chart = Chart(
        key="t",
        title="t",
        kind="bars",
        labels=["A", "B", "C"],
        series=[Series("x", "#111111", [5, 20, 0]), Series("y", "#222222", [1, 2, 3])],
        limits=[(25, "plan")],
    )
    rects = chart.rects()
    assert len(rects) == 6
    for r in rects:
        assert r.x >= LEFT and r.x + r.w <= WIDTH - RIGHT
        assert r.y >= TOP and r.y + r.h <= HEIGHT - BOTTOM + 0.1
    assert chart.top == 50  # the limit counts: the plan mark is inside the frame
    tallest = rects[2]  # label by label, series by series: B's "x", 20
    assert tallest.h == round((HEIGHT - TOP - BOTTOM) * 20 / 50, 1)
    assert rects[4].h == 0


def test_lines_have_one_point_per_label_and_labels_thin_out():
    hours = [f"{h:02d}" for h in range(24)]
    chart = Chart(
        key="o",
        title="o",
        kind="lines",
        labels=hours,
        series=[Series("plan", "#333333", [float(h) for h in range(24)])],
    )
    ((series, points),) = chart.polylines()
    assert len(points.split()) == 24
    assert len(chart.label_positions()) == 12


def test_paid_orders_per_hour_sum_the_shops_minutes_beside_the_plan(db, clock, plan):
    """S1.8: the day so far per local hour, against visitors x planned conversion x shops."""
    from datetime import timedelta

    from peakguard.monitor import service as monitor
    from peakguard.web.widgets import orders_per_hour
    from tests.factories import ADMIN

    def minute(i: int, shop: str, at_minutes: int, paid: int) -> dict:
        return {
            "event_id": f"m{i}",
            "type": "shop_metrics",
            "ts": (clock.now() + timedelta(minutes=at_minutes)).isoformat(),
            "shop": shop,
            "visitors": 100,
            "orders": paid,
            "paid_orders": paid,
            "platform_errors": 0,
        }

    rows = [minute(1, "a", 0, 7), minute(2, "b", 1, 5), minute(3, "a", 61, 4), minute(4, "a", 200, 99)]
    with db.transaction() as s:
        monitor.ingest(s, ADMIN, clock.now(), enumerate(rows, 1), source="test")
    now = clock.now() + timedelta(minutes=90)  # 01:30 local: the 03:20 minute is not yet
    with db.transaction() as s:
        chart = orders_per_hour(s, plan, "en", now)
    planned, paid = chart.series
    assert paid.values == [12.0, 8.0]  # 01:00-01:30 had 4: scaled to the whole hour (issue 16)
    assert chart.note.startswith("01:00 is under way: its 30 minutes")
    assert planned.values[0] == round(
        plan.detection.hourly_visitors[0] * plan.detection.planned_conversion * 2, 1
    )
    assert len(chart.labels) == 24 and len(chart.polylines()[1][1].split()) == 2


def test_the_readiness_chart_shows_each_risk_done_share(db, clock, plan):
    from peakguard.readiness import checklist
    from peakguard.web.widgets import readiness_per_risk
    from tests.factories import ADMIN

    with db.transaction() as s:
        assert readiness_per_risk(s, plan, "en", clock.now()).labels == []  # empty: says so
        items = checklist.init_from_plan(s, ADMIN, clock.now(), plan)
        for item in items:
            if item.risk == "network":
                checklist.complete(s, ADMIN, clock.now(), item.id, note="ok")
        chart = readiness_per_risk(s, plan, "en", clock.now())
    assert chart.labels == ["S1.1", "S1.2", "S1.3", "S1.4", "S1.5", "S1.6", "S1.7"]
    assert ("S1.3", "Network outage") in chart.glossary  # issue 16: the names behind the codes
    assert chart.series[0].values[2] == 100.0 and chart.series[0].values[0] == 0.0
    assert "next reminder 09:00" in chart.note  # 00:00 has passed: the next is 09:00
