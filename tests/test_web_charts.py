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
