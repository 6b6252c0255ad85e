"""The graded incident engine (S3.3-S3.7) on a real database: classify, group, raise, deadlines
with an injected clock, lifecycle, roster assignment, review and its export."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from peakguard.audit.models import AuditEntry
from peakguard.db import Database
from peakguard.errors import Conflict, InvalidInput
from peakguard.incidents import deadlines, export, lifecycle, queries, reporting, reviews
from peakguard.incidents.models import Deadline, Incident
from peakguard.notify.models import Notification
from peakguard.roster import service as roster
from tests.factories import ADMIN


def open_(db, clock, plan, **kw):
    with db.transaction() as s:
        result = reporting.report(s, ADMIN, clock.now(), plan=plan, **kw)
        return result.incident.id, result


def incident(db, incident_id) -> Incident:
    with db.transaction() as s:
        return queries.get(s, incident_id)


def staff(db, clock, plan, *people):
    with db.transaction() as s:
        return [roster.add_person(s, ADMIN, clock.now(), plan, name=n, role=r).id for n, r in people]


@pytest.mark.parametrize(
    ("kind", "count", "level", "handler", "minutes", "report_to"),
    [
        ("complaint", 1, "L3", "member", 30, "deputy"),
        ("backlog", 25, "L2", "member", 480, "leader"),
        ("robbery_theft", 1, "L1", "leader", 720, "leader"),
        ("fire", 1, "special", "leader", 1440, "authority"),
    ],
)
def test_open_sets_level_chain_and_deadline(db, clock, plan, kind, count, level, handler, minutes, report_to):
    """S3.3 level, S3.4 chain and deadline: done within 30 min / 8 h / 12 h / 24 h."""
    iid, result = open_(db, clock, plan, kind=kind, area="FZ-01", count=count)
    inc = incident(db, iid)
    assert result.created
    assert (inc.level, inc.handler_role, inc.report_to_role) == (level, handler, report_to)
    assert inc.deadline_minutes == minutes
    assert (inc.deadline_at - clock.now()).total_seconds() == minutes * 60
    assert inc.status == "open"


def test_special_level_forms_a_task_force_of_the_whole_group(db, clock, plan):
    iid, _ = open_(db, clock, plan, kind="mass_incident", area="HQ")
    inc = incident(db, iid)
    assert inc.task_force and set(inc.notify_roles) == {"member", "deputy", "leader"}


def test_reports_of_the_same_kind_and_area_group_and_raise_the_level(db, clock, plan):
    """19 parcels is L3; one more report of 1 makes 20: the same incident rises to L2, is
    re-assigned, and its deadline restarts under L2 from the moment of the raise."""
    staff(db, clock, plan, ("Li", "member"), ("Wang", "deputy"))
    first, _ = open_(db, clock, plan, kind="backlog", area="FZ-01", count=19)
    assert incident(db, first).level == "L3"
    clock.advance(minutes=10)
    second, result = open_(db, clock, plan, kind="backlog", area="FZ-01", count=1)
    assert second == first and not result.created and result.raised_from == "L3"
    inc = incident(db, first)
    assert (inc.count, inc.level, inc.supervisor_role, inc.report_to_role) == (20, "L2", "deputy", "leader")
    assert (inc.deadline_at - clock.now()).total_seconds() == 480 * 60
    with db.transaction() as s:
        states = [
            d.state
            for d in s.scalars(select(Deadline).where(Deadline.incident_id == first).order_by(Deadline.id))
        ]
        events = [t.event for t in queries.get(s, first).timeline]
        raised = s.scalars(select(Notification).where(Notification.event == "level_raised")).all()
    assert states == ["superseded", "pending"]
    assert "level_raised" in events
    assert {n.role for n in raised} == {"member", "deputy"}


def test_other_area_or_kind_opens_another_incident(db, clock, plan):
    a, _ = open_(db, clock, plan, kind="backlog", area="FZ-01", count=3)
    b, _ = open_(db, clock, plan, kind="backlog", area="FZ-02", count=3)
    c, _ = open_(db, clock, plan, kind="lost", area="FZ-01", count=3)
    assert len({a, b, c}) == 3


def test_replace_mode_sets_the_count_and_the_level_never_drops(db, clock, plan):
    iid, _ = open_(db, clock, plan, kind="lost", area="XM-03", count=6, mode="replace")
    assert incident(db, iid).level == "L2"
    open_(db, clock, plan, kind="lost", area="XM-03", count=2, mode="replace")
    inc = incident(db, iid)
    assert (inc.count, inc.level) == (2, "L2")


def test_manual_level_change_needs_a_reason(db, clock, plan):
    iid, _ = open_(db, clock, plan, kind="lost", area="XM-03", count=6)
    with db.transaction() as s, pytest.raises(InvalidInput) as err:
        reporting.set_level(s, ADMIN, clock.now(), iid, "L3", "  ", plan)
    assert err.value.field == "reason"
    with db.transaction() as s:
        reporting.set_level(s, ADMIN, clock.now(), iid, "L3", "parcels found at the hub", plan)
    inc = incident(db, iid)
    assert inc.level == "L3" and inc.deadline_minutes == 30
    with db.transaction() as s:
        assert queries.get(s, iid).timeline[-1].detail["reason"] == "parcels found at the hub"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"kind": "alien_landing", "area": "FZ-01"}, "kind"),
        ({"kind": "backlog", "area": "FZ-01", "count": -3}, "count"),
        ({"kind": "backlog", "area": "FZ-01", "count": 0}, "count"),
        ({"kind": "backlog", "area": "   "}, "area"),
        ({"kind": "backlog", "area": "x" * 65}, "area"),
        ({"kind": "backlog", "area": "FZ", "mode": "multiply"}, "mode"),
    ],
)
def test_bad_report_is_refused_and_nothing_is_stored(db, clock, plan, kw, field):
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        reporting.report(s, ADMIN, clock.now(), plan=plan, **kw)
    assert err.value.field == field
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_deadline_escalates_exactly_once_with_the_injected_clock(db, clock, plan):
    """S3.4: L3 is done within 30 minutes; at 30 minutes the deadline is breached and the
    deputy (the next role up) is told, once, however often the ticker runs."""
    staff(db, clock, plan, ("Li", "member"), ("Wang", "deputy"))
    iid, _ = open_(db, clock, plan, kind="delay", area="FZ-01")
    clock.advance(minutes=29, seconds=59)
    assert deadlines.tick_job(db, clock.now()) == []
    clock.advance(seconds=1)
    assert deadlines.tick_job(db, clock.now()) == [iid]
    clock.advance(hours=5)
    assert deadlines.tick_job(db, clock.now()) == []
    inc = incident(db, iid)
    assert inc.breached
    with db.transaction() as s:
        told = s.scalars(select(Notification).where(Notification.event == "breached")).all()
    assert [(n.role, n.status) for n in told] == [("deputy", "pending")]


def test_a_raise_supersedes_the_old_deadline(db, clock, plan):
    iid, _ = open_(db, clock, plan, kind="backlog", area="FZ-01", count=5)
    clock.advance(minutes=20)
    open_(db, clock, plan, kind="backlog", area="FZ-01", count=30, mode="replace")
    clock.advance(minutes=15)  # past the old L3 deadline, well inside the new L2 one
    assert deadlines.tick_job(db, clock.now()) == []
    clock.advance(minutes=480)
    assert deadlines.tick_job(db, clock.now()) == [iid]


def test_two_tickers_racing_escalate_each_deadline_once(db_url, clock, plan):
    """Two processes' tickers (two engines) fire the same due deadlines at once."""
    first = Database(db_url)
    for i in range(8):
        with first.transaction() as s:
            reporting.report(s, ADMIN, clock.now(), kind="delay", area=f"A{i}", plan=plan)
    clock.advance(hours=1)
    engines = [first, Database(db_url)]
    fired: list[list[int]] = []
    barrier = threading.Barrier(2)

    def run(db: Database) -> None:
        barrier.wait()
        fired.append(deadlines.tick_job(db, clock.now()))

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    all_fired = sorted(i for batch in fired for i in batch)
    assert all_fired == list(range(1, 9))


def test_lifecycle_open_ack_resolve_review_close(db, clock, plan):
    """S3.4 result report to the plan's role; S3.7 review before closing; every step on the timeline."""
    staff(db, clock, plan, ("Li", "member"), ("Wang", "deputy"), ("Zhao", "leader"))
    iid, _ = open_(db, clock, plan, kind="backlog", area="FZ-01", count=25)
    with db.transaction() as s:
        lifecycle.acknowledge(s, ADMIN, clock.now(), iid)
        with pytest.raises(Conflict):
            lifecycle.acknowledge(s, ADMIN, clock.now(), iid)
    with db.transaction() as s, pytest.raises(InvalidInput):
        lifecycle.resolve(s, ADMIN, clock.now(), iid, "", plan)
    with db.transaction() as s, pytest.raises(Conflict, match="resolve it before closing"):
        lifecycle.close(s, ADMIN, clock.now(), iid)
    clock.advance(hours=2)
    with db.transaction() as s:
        inc = queries.get(s, iid)
        steps = inc.steps
        reviews.set_step(s, ADMIN, clock.now(), iid, steps[0].id, "done")
        reviews.set_step(s, ADMIN, clock.now(), iid, steps[1].id, "done")
        with pytest.raises(InvalidInput):
            reviews.set_step(s, ADMIN, clock.now(), iid, steps[2].id, "skipped")
        reviews.set_step(s, ADMIN, clock.now(), iid, steps[2].id, "skipped", "outlet already on probation")
        lifecycle.resolve(s, ADMIN, clock.now(), iid, "All 25 parcels delivered by two extra vans.", plan)
    with db.transaction() as s, pytest.raises(Conflict, match="no review"):
        lifecycle.close(s, ADMIN, clock.now(), iid)
    with db.transaction() as s:
        with pytest.raises(InvalidInput) as err:
            reviews.save_review(
                s,
                ADMIN,
                clock.now(),
                iid,
                root_cause="x",
                accountable_type="outlet",
                accountable_name="FZ-01",
                penalty_step="flogging",
                plan=plan,
            )
        assert err.value.field == "penalty_step"
    with db.transaction() as s:
        reviews.save_review(
            s,
            ADMIN,
            clock.now(),
            iid,
            root_cause="Sorting line down 3 h",
            accountable_type="outlet",
            accountable_name="FZ-01 outlet",
            penalty_step="correction",
            disclosure_note="Told buyers via SMS",
            plan=plan,
        )
        m = reviews.add_measure(
            s,
            ADMIN,
            clock.now(),
            iid,
            description="Spare sorting line",
            owner="Zhao",
            due_date=date(2026, 12, 1),
        )
        reviews.complete_measure(s, ADMIN, clock.now(), m.id, "installed")
        lifecycle.close(s, ADMIN, clock.now(), iid)
    with db.transaction() as s:
        inc = queries.get(s, iid)
        events = [t.event for t in inc.timeline]
        result_msgs = s.scalars(select(Notification).where(Notification.event == "resolved")).all()
        md = export.markdown(s, inc, plan, "en")
        md_zh = export.markdown(s, inc, plan, "zh_CN")
        pdf = export.pdf(s, inc, plan, "zh_CN")
    assert inc.status == "closed" and not inc.breached
    assert events[:2] == ["opened", "acknowledged"] and events[-1] == "closed"
    assert {"step", "resolved", "review", "measure", "measure_done"} <= set(events)
    assert [n.role for n in result_msgs] == ["leader"]  # L2 result goes to the leader
    assert "Sorting line down 3 h" in md and "Correction" in md and "skipped" in md
    assert "outlet already on probation" in md and "Spare sorting line" in md
    assert "根本原因" in md_zh and "限期整改" in md_zh
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_a_resolved_incident_frees_its_kind_and_area(db, clock, plan):
    iid, _ = open_(db, clock, plan, kind="delay", area="FZ-01")
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, clock.now(), iid, "delivered", plan)
    again, result = open_(db, clock, plan, kind="delay", area="FZ-01")
    assert result.created and again != iid


def test_late_resolution_counts_as_a_breach(db, clock, plan):
    iid, _ = open_(db, clock, plan, kind="delay", area="FZ-01")
    clock.advance(minutes=45)
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, clock.now(), iid, "delivered late", plan)
    assert incident(db, iid).breached


def test_assignment_picks_the_least_loaded_person_on_duty(db, clock, plan):
    li, wang, off = staff(db, clock, plan, ("Li", "member"), ("Wang", "member"), ("Off", "member"))
    with db.transaction() as s:
        roster.set_duty(s, ADMIN, clock.now(), off, False)
    ids = [open_(db, clock, plan, kind="delay", area=f"A{i}")[0] for i in range(4)]
    assignees = [incident(db, i).assignee_id for i in ids]
    assert sorted(assignees) == sorted([li, li, wang, wang])


def test_nobody_on_duty_is_visible_not_silent(db, clock, plan):
    open_(db, clock, plan, kind="delay", area="FZ-01")
    with db.transaction() as s:
        rows = s.scalars(select(Notification)).all()
    assert [(n.role, n.status) for n in rows] == [("member", "no_recipient")]


def test_every_write_is_audited_and_the_audit_log_is_append_only(db, clock, plan):
    iid, _ = open_(db, clock, plan, kind="delay", area="FZ-01")
    with db.transaction() as s:
        lifecycle.acknowledge(s, ADMIN, clock.now(), iid)
    with db.transaction() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["incident.open", "incident.acknowledge"]
    with pytest.raises(Exception, match="append-only"), db.transaction() as s:
        s.execute(AuditEntry.__table__.delete())
    with pytest.raises(Exception, match="append-only"), db.transaction() as s:
        s.execute(AuditEntry.__table__.update().values(actor="someone else"))
