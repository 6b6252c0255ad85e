"""The numbers that drive the penalty ladder (issue 17; S3.7) on SQLite and PostgreSQL with the
injected clock: minutes to acknowledge and to resolve per level, person, outlet and local week,
computed by the database; the outlet scorecard and its suggested next penalty step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peakguard.errors import InvalidInput
from peakguard.incidents import lifecycle, reporting, reviews
from peakguard.scorecard import numbers
from tests.factories import ADMIN
from tests.test_oncall_schedule import people


def handled(db, plan, at, kind, area, *, ack=None, resolve=None, count=1) -> int:
    """An incident opened at ``at``, acknowledged and resolved after so many minutes."""
    with db.transaction() as s:
        iid = reporting.report(s, ADMIN, at, kind=kind, area=area, count=count, plan=plan).incident.id
        if ack is not None:
            lifecycle.acknowledge(s, ADMIN, at + timedelta(minutes=ack), iid)
        if resolve is not None:
            lifecycle.resolve(s, ADMIN, at + timedelta(minutes=resolve), iid, "done", plan=plan)
    return iid


def review(db, plan, at, iid, outlet, step) -> None:
    with db.transaction() as s:
        reviews.save_review(
            s, ADMIN, at, iid, root_cause="late sorting", accountable_type="outlet",
            accountable_name=outlet, penalty_step=step, plan=plan,
        )  # fmt: skip


def test_response_times_per_level_person_outlet_and_week(db, clock, plan):
    (wang,) = people(db, clock, plan, ("Wang", "member"))
    t0 = clock.now()
    handled(db, plan, t0, "complaint", "FZ-01", ack=4, resolve=20)
    handled(db, plan, t0 + timedelta(hours=1), "delay", "FZ-01", ack=8, resolve=40)  # breached at 30
    handled(db, plan, t0 + timedelta(days=7), "complaint", "XM-02", ack=2)
    handled(db, plan, t0, "internal_conflict", "HQ", resolve=60)  # L2, never acknowledged
    with db.transaction() as s:
        by_level = {r.key: r for r in numbers.response_times(s, plan, t0, "level")}
        assert list(by_level) == ["L2", "L3"]  # most serious first
        l3 = by_level["L3"]
        assert (l3.incidents, l3.acknowledged, l3.resolved, l3.breached) == (3, 3, 2, 1)
        assert (l3.ack_mean_minutes, l3.ack_max_minutes) == (4.7, 8.0)
        assert (l3.resolve_mean_minutes, l3.resolve_max_minutes) == (30.0, 40.0)
        l2 = by_level["L2"]
        assert (l2.acknowledged, l2.ack_mean_minutes, l2.resolve_mean_minutes) == (0, None, 60.0)

        outlets = {r.key: r.incidents for r in numbers.response_times(s, plan, t0, "outlet")}
        assert outlets == {"FZ-01": 2, "XM-02": 1, "HQ": 1}
        persons = {r.key: r.incidents for r in numbers.response_times(s, plan, t0, "person")}
        assert persons == {"Wang": 4}  # L2 is handled by a member too (S3.4)
        weeks = numbers.response_times(s, plan, t0, "week")
        assert [r.incidents for r in weeks] == [3, 1] and weeks[1].key > weeks[0].key
        monday = (t0 + timedelta(hours=8)).date() - timedelta(days=(t0 + timedelta(hours=8)).weekday())
        assert weeks[0].key == monday.isoformat()  # the local (Asia/Shanghai) Monday
        only = numbers.response_times(s, plan, t0, "level", kind="delay", since=t0 + timedelta(minutes=30))
        assert [(r.key, r.incidents) for r in only] == [("L3", 1)]
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        numbers.response_times(s, plan, t0, "colour")
    assert err.value.field == "by"
    assert wang


def test_the_outlet_scorecard_suggests_the_step_after_the_worst_penalty_so_far(db, clock, plan):
    t0 = clock.now()
    first = handled(db, plan, t0, "backlog", "FZ-01", count=3, ack=5, resolve=50)  # breached (30 min)
    second = handled(db, plan, t0 + timedelta(hours=2), "complaint", "FZ-01", ack=5, resolve=10)
    handled(db, plan, t0, "complaint", "XM-02", ack=1, resolve=5)
    handled(db, plan, t0, "fire", "FZ-01", ack=1, resolve=5)  # not a penalty kind
    handled(db, plan, t0, "complaint", "DRILL-1", ack=1, resolve=5)  # a drill penalises no one
    with db.transaction() as s:
        card = {o.outlet: o for o in numbers.outlets(s, plan)}
        assert set(card) == {"FZ-01", "XM-02"}
        assert (card["FZ-01"].incidents, card["FZ-01"].breached, card["FZ-01"].penalties) == (2, 1, {})
        assert card["FZ-01"].next_step.id == "correction"  # the mildest first
    review(db, plan, t0 + timedelta(hours=3), first, "FZ-01", "self_check")
    review(db, plan, t0 + timedelta(hours=3), second, "FZ-01", "correction")
    with db.transaction() as s:
        fz = {o.outlet: o for o in numbers.outlets(s, plan)}["FZ-01"]
        assert fz.penalties == {"self_check": 1, "correction": 1}
        assert fz.next_step.id == "rectification"  # one step beyond the worst given
        mine = numbers.suggestion(s, plan, "FZ-01", exclude_incident=first)
        assert (mine.penalties, mine.next_step.id) == ({"correction": 1}, "self_check")
    assert numbers.next_step(plan, {"replacement": 1}).id == "replacement"  # the top stays the top
