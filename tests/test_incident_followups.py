"""An incident the detectors report is open before its follow-ups run (issue 14; S3.3, S3.4) on
SQLite and PostgreSQL with the injected clock: the incident commits with its level, deadline
and assignee; the notices, the page and the client matching are rows done after the commit,
with the same result as a person's report, once; a process that stopped in between leaves them
to the next runner; one that fails is retried, never dropped. And the bus reporter's cadence
holds back only same-level count changes: a threshold crossing goes at once; it does the
follow-ups after its report, and those a reporter before it left."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from peakguard import background
from peakguard.db import Database
from peakguard.incidents import followups, reporting
from peakguard.incidents.models import Deadline, Incident
from peakguard.monitor import bus
from peakguard.monitor import service as monitor
from peakguard.monitor.partitions import Pacer
from peakguard.monitor.signals import Signal
from peakguard.notify.models import Notification
from peakguard.oncall.models import Page
from tests.factories import ADMIN
from tests.test_monitor_bus import NATS_URL, _nats_answers, backlog_scans, target  # noqa: F401 (a fixture)
from tests.test_oncall_schedule import people


def backlog(area: str, n: int, level: str = "L3") -> Signal:
    return Signal(
        kind="backlog", scope=area, count=n, level=level, ids=tuple(f"P{area}-{i}" for i in range(n))
    )


def told(db, incident_id: int) -> list[tuple[str, str, int | None]]:
    with db.transaction() as s:
        query = select(Notification).where(Notification.incident_id == incident_id).order_by(Notification.id)
        return [(n.event, n.role, n.person_id) for n in s.scalars(query)]


def paged(db, incident_id: int) -> list[tuple[str, str, int | None, str]]:
    with db.transaction() as s:
        query = select(Page).where(Page.incident_id == incident_id).order_by(Page.id)
        return [(p.level, p.role, p.person_id, p.state) for p in s.scalars(query)]


def detect(db, at, plan, *signals: Signal) -> list[int]:
    with db.transaction() as s:
        return monitor.report(s, at, plan, list(signals))


def test_a_detected_incident_is_open_first_and_told_after_as_a_persons_report_is(db, clock, plan):
    wang, zhao = people(db, clock, plan, ("Wang", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    with db.transaction() as s:  # a person's report: told and paged in its own transaction
        by_hand = reporting.report(s, ADMIN, t0, kind="backlog", area="A-01", count=3, plan=plan).incident.id
    (detected,) = detect(db, t0, plan, backlog("A-02", 3))
    with db.transaction() as s:
        incident = s.get(Incident, detected)
        assert (incident.level, incident.status, incident.assignee_id) == ("L3", "open", wang)
        deadline = s.scalars(select(Deadline).where(Deadline.incident_id == detected)).one()
        assert (deadline.state, deadline.due_at) == (
            "pending",
            t0 + timedelta(minutes=incident.deadline_minutes),
        )
        assert [(f.event, f.level) for f in followups.pending(s, detected)] == [
            ("opened", "L3"),
            ("clients", None),
        ]
    assert told(db, detected) == [] and paged(db, detected) == []

    assert followups.run_due(db, t0 + timedelta(seconds=1), plan) == 2
    assert told(db, detected) == told(db, by_hand) == [("opened", "member", wang)]
    assert paged(db, detected) == paged(db, by_hand) == [("L3", "member", wang, "waiting")]
    assert followups.run_due(db, t0 + timedelta(seconds=2), plan) == 0  # each once
    assert told(db, detected) == [("opened", "member", wang)]
    assert zhao not in {p for _, _, p in told(db, detected)}  # L3 tells members only


def test_followups_left_by_a_process_that_stopped_are_done_by_the_next_round(db, db_url, clock, plan):
    (wang,) = people(db, clock, plan, ("Wang", "member"))
    t0 = clock.now()
    (detected,) = detect(db, t0, plan, backlog("A-03", 5))  # committed, then the process died
    db.dispose()

    restarted = Database(db_url)
    try:
        with restarted.transaction() as s:
            assert len(followups.pending(s, detected)) == 2
        background.run_once(restarted, t0 + timedelta(seconds=30))  # serve's first round after the start
        with restarted.transaction() as s:
            assert followups.pending(s) == []
        assert told(restarted, detected) == [("opened", "member", wang)]
        assert paged(restarted, detected) == [("L3", "member", wang, "waiting")]
    finally:
        restarted.dispose()


def test_a_failing_followup_is_kept_and_retried_then_done_once(db, clock, plan, monkeypatch):
    (wang,) = people(db, clock, plan, ("Wang", "member"))
    t0 = clock.now()
    (detected,) = detect(db, t0, plan, backlog("A-04", 2))
    real_start, calls = followups.paging.start, []

    def pager_down_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("pager unreachable")
        return real_start(*args, **kwargs)

    monkeypatch.setattr(followups.paging, "start", pager_down_once)
    assert followups.run_due(db, t0, plan) == 1  # the client matching; the notice failed
    with db.transaction() as s:
        (left,) = followups.pending(s, detected)
        assert (left.event, left.attempts, left.next_attempt_at) == ("opened", 1, t0 + timedelta(seconds=5))
        assert left.last_error == "RuntimeError: pager unreachable"
    assert told(db, detected) == []  # the failed attempt's notice was rolled back with it
    assert followups.run_due(db, t0 + timedelta(seconds=4), plan) == 0  # not due yet
    assert followups.run_due(db, t0 + timedelta(seconds=5), plan) == 1
    assert told(db, detected) == [("opened", "member", wang)]
    assert paged(db, detected) == [("L3", "member", wang, "waiting")]
    with db.transaction() as s:
        assert followups.pending(s) == []


def test_a_raise_before_the_opening_followup_ran_is_paged_once_at_the_new_level(db, clock, plan):
    wang, zhao = people(db, clock, plan, ("Wang", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    (detected,) = detect(db, t0, plan, backlog("A-05", 3))
    assert detect(db, t0 + timedelta(seconds=1), plan, backlog("A-05", 25)) == [detected]  # L3 -> L2
    followups.run_due(db, t0 + timedelta(seconds=2), plan)
    assert told(db, detected) == [
        ("opened", "member", wang),  # the opening's roles (L3)
        ("level_raised", "member", wang),  # the raise's (L2)
        ("level_raised", "deputy", zhao),
    ]
    assert paged(db, detected) == [("L2", "member", wang, "waiting")]  # not the superseded L3


def test_the_reporters_cadence_holds_only_same_level_counts():
    pacer = Pacer()
    assert [s.count for s in pacer.due([backlog("A-06", 3)])] == [3]  # new: at once
    assert pacer.due([backlog("A-06", 4)]) == []  # same level, just reported: waits
    assert [s.level for s in pacer.due([backlog("A-06", 25, "L2")])] == ["L2"]  # threshold crossed: at once
    assert pacer.due([backlog("A-06", 26, "L2")]) == []
    assert [s.count for s in pacer.due([backlog("A-06", 27, "L2")], final=True)] == [27]  # the last report


@pytest.mark.skipif(not _nats_answers(), reason=f"no NATS server answers at {NATS_URL}")
def test_the_bus_reporter_does_the_followups_and_those_an_earlier_reporter_left(db, clock, plan, target):  # noqa: F811
    (wang,) = people(db, clock, plan, ("Wang", "member"))
    (left,) = detect(db, clock.now(), plan, backlog("A-07", 3))  # its reporter died before the follow-ups
    asyncio.run(bus.publish(target, enumerate(backlog_scans(clock, 20), 1)))
    asyncio.run(bus.consume(db, clock, target, batch=7, stop=lambda s: s.idle_polls > 0))
    with db.transaction() as s:
        (detected,) = s.scalars(select(Incident.id).where(Incident.area == "FZ-09")).all()
        assert followups.pending(s) == []
    assert told(db, left) == [("opened", "member", wang)]
    notices = told(db, detected)  # opened at L3 by a first batch and raised, or opened at L2
    assert {event for event, _, _ in notices} <= {"opened", "level_raised"}
    assert [(role, person) for _, role, person in notices[-2:]] == [("member", wang), ("deputy", None)]
    assert [p for p in paged(db, detected) if p[3] == "waiting"] == [("L2", "member", wang, "waiting")]
