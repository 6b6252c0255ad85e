"""Inhibition and snooze (issue 17 noise control) on SQLite and PostgreSQL with the injected
clock: an open ``transit_interrupted`` at hub A-02 mutes the ``backlog`` of the areas behind it
(the default plan: A-01 and A-03), which are listed under it and not paged, and paging resumes
when it resolves; a snooze (who, until, why) pauses paging, is on the timeline and audited,
and ends at its time or when the level is raised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from peakguard.audit.models import AuditEntry
from peakguard.errors import Conflict, InvalidInput
from peakguard.incidents import lifecycle, queries, reporting
from peakguard.oncall import mutes, snooze
from peakguard.oncall.jobs import oncall_job
from peakguard.oncall.models import Page
from tests.factories import ADMIN
from tests.test_oncall_paging import pages
from tests.test_oncall_schedule import people


def report(db, at, plan, kind, area, count=25) -> int:
    with db.transaction() as s:
        return reporting.report(s, ADMIN, at, kind=kind, area=area, count=count, plan=plan).incident.id


def events(db, incident_id) -> list[str]:
    with db.transaction() as s:
        return [e.event for e in queries.get(s, incident_id).timeline]


def test_a_transit_interruption_mutes_the_backlog_behind_its_hub_until_it_resolves(db, clock, plan):
    people(db, clock, plan, ("Wang", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    hub = report(db, t0, plan, "transit_interrupted", "A-02", count=120)
    behind = report(db, t0 + timedelta(minutes=1), plan, "backlog", "A-01")
    elsewhere = report(db, t0 + timedelta(minutes=1), plan, "backlog", "A-04")
    with db.transaction() as s:
        assert [i.id for i in mutes.muted_under(s, hub)] == [behind]
        assert mutes.muted_under(s, elsewhere) == []
    # only the hub and the unrelated backlog were paged; ticking for an hour pages A-01 never
    assert {(p[0], p[2]) for p in pages(db)} == {("Wang", "waiting")}
    assert len(pages(db)) == 2
    for minutes in range(5, 60, 5):
        oncall_job(db, t0 + timedelta(minutes=minutes))
    with db.transaction() as s:
        paged = {p.incident_id for p in paging_rows(s)}
    assert behind not in paged and {hub, elsewhere} <= paged
    assert "muted" in events(db, behind) and "mutes" in events(db, hub)

    t1 = t0 + timedelta(hours=1)
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, t1, hub, "trucks rerouted", plan=plan)
    oncall_job(db, t1 + timedelta(minutes=1))
    with db.transaction() as s:
        assert mutes.muted_under(s, hub) == []
        assert mutes.running(s, behind) == []
        (ended,) = mutes.history(s, behind)
        assert (ended.end_reason, ended.ended_at) == ("source_resolved", t1 + timedelta(minutes=1))
        waiting = [p for p in paging_rows(s) if p.incident_id == behind]
    assert [(p.state, p.paged_at) for p in waiting] == [("waiting", t1 + timedelta(minutes=1))]
    assert events(db, behind)[-1] == "unmuted"
    oncall_job(db, t1 + timedelta(minutes=2))  # a second round resumes nothing twice
    with db.transaction() as s:
        assert len([p for p in paging_rows(s) if p.incident_id == behind]) == 1


def paging_rows(s) -> list[Page]:
    return list(s.scalars(select(Page).order_by(Page.id)))


def test_a_backlog_first_is_muted_when_the_hub_interruption_opens(db, clock, plan):
    people(db, clock, plan, ("Wang", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    behind = report(db, t0, plan, "backlog", "A-03")
    hub = report(db, t0 + timedelta(minutes=2), plan, "transit_interrupted", "A-02", count=120)
    oncall_job(db, t0 + timedelta(minutes=3))
    with db.transaction() as s:
        assert [i.id for i in mutes.muted_under(s, hub)] == [behind]
        states = [(p.incident_id, p.state) for p in paging_rows(s)]
    assert (behind, "stopped") in states and (behind, "waiting") not in states
    oncall_job(db, t0 + timedelta(minutes=30))  # the backlog's page would be long due
    with db.transaction() as s:
        assert [p.state for p in paging_rows(s) if p.incident_id == behind] == ["stopped"]


def test_a_snooze_pauses_paging_until_its_time_and_is_on_the_timeline_and_audited(db, clock, plan):
    people(db, clock, plan, ("Wang", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    iid = report(db, t0, plan, "complaint", "FZ-01", count=1)
    until = t0 + timedelta(minutes=45)
    with db.transaction() as s:
        snooze.snooze(
            s, ADMIN, t0 + timedelta(minutes=1), plan, iid, until=until, reason="carrier calls back at 10"
        )
    for minutes in range(5, 45, 5):
        oncall_job(db, t0 + timedelta(minutes=minutes))
    with db.transaction() as s:
        assert [p.state for p in paging_rows(s)] == ["stopped"]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "incident.snooze")).one()
        assert audit.actor == ADMIN.name and audit.detail["reason"] == "carrier calls back at 10"
    oncall_job(db, until)
    with db.transaction() as s:
        (mute,) = mutes.history(s, iid)
        assert (mute.by, mute.reason, mute.end_reason) == (ADMIN.name, "carrier calls back at 10", "time")
        assert [(p.state, p.paged_at) for p in paging_rows(s)] == [("stopped", t0), ("waiting", until)]
    assert events(db, iid)[-2:] == ["snoozed", "snooze_ended"]


def test_a_level_raise_ends_the_snooze_and_pages_the_new_chain(db, clock, plan):
    people(db, clock, plan, ("Wang", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    iid = report(db, t0, plan, "backlog", "FZ-09", count=3)
    with db.transaction() as s:
        snooze.snooze(s, ADMIN, t0, plan, iid, until=t0 + timedelta(hours=2), reason="waiting for the van")
    raised = t0 + timedelta(minutes=10)
    report(db, raised, plan, "backlog", "FZ-09", count=30)  # adds up to 33: L2
    with db.transaction() as s:
        assert [(p.level, p.state) for p in paging_rows(s)] == [("L3", "stopped"), ("L2", "waiting")]
    oncall_job(db, raised + timedelta(minutes=1))
    with db.transaction() as s:
        (mute,) = mutes.history(s, iid)
        assert mute.end_reason == "level_raised"
        assert [p.state for p in paging_rows(s)] == ["stopped", "waiting"]  # not paged twice


def test_snooze_input_errors_name_the_field_and_change_nothing(db, clock, plan):
    t0 = clock.now()
    iid = report(db, t0, plan, "complaint", "FZ-01", count=1)
    for kwargs, field in [
        ({"until": t0 + timedelta(hours=1), "reason": " "}, "reason"),
        ({"until": t0, "reason": "x"}, "until"),
        ({"until": t0 + timedelta(hours=plan.oncall.snooze_max_hours, minutes=1), "reason": "x"}, "until"),
    ]:
        with pytest.raises(InvalidInput) as err, db.transaction() as s:
            snooze.snooze(s, ADMIN, t0, plan, iid, **kwargs)
        assert err.value.field == field
    with pytest.raises(Conflict), db.transaction() as s:
        snooze.unsnooze(s, ADMIN, t0, plan, iid)
    with db.transaction() as s:
        assert mutes.history(s, iid) == []
