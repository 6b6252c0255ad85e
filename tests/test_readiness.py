"""Readiness (issue 6): the risk register from the plan (S1.1-S1.7), evidence, scores, overdue
notices, the day's timeline reminders (S1.8), quick replies, drills, and the deadline-near
warning (S3.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from peakguard.errors import Conflict, InvalidInput
from peakguard.incidents import deadlines, lifecycle, reporting
from peakguard.incidents.models import Incident
from peakguard.monitor.live import detection_job
from peakguard.notify.models import Notification
from peakguard.readiness import checklist, drills, replies, timeline
from peakguard.readiness.jobs import readiness_job
from peakguard.roster import service as roster
from tests.factories import ADMIN


def _people(db, clock, plan):
    with db.transaction() as s:
        li = roster.add_person(s, ADMIN, clock.now(), plan, name="李明", role="member", language="zh_CN")
        ann = roster.add_person(s, ADMIN, clock.now(), plan, name="Ann", role="deputy", language="en")
        return li.id, ann.id


def test_the_register_holds_the_seven_risks_once(db, clock, plan):
    """S1.1-S1.7: every risk with its preparations; copying twice adds nothing."""
    with db.transaction() as s:
        first = checklist.init_from_plan(s, ADMIN, clock.now(), plan)
        again = checklist.init_from_plan(s, ADMIN, clock.now(), plan)
        score = checklist.scores(s, plan, clock.now(), "zh_CN")
    assert again == []
    assert len(first) == sum(len(r.items) for r in plan.readiness.risks.values())
    assert [r.section for r in score.risks] == ["S1.1", "S1.2", "S1.3", "S1.4", "S1.5", "S1.6", "S1.7"]
    assert score.done == 0 and score.percent == 0


def test_done_needs_evidence_and_moves_the_score(db, clock, plan):
    with db.transaction() as s:
        items = checklist.init_from_plan(s, ADMIN, clock.now(), plan)
        image = next(i for i in items if i.template == "computers.system_image")
        with pytest.raises(InvalidInput) as err:
            checklist.complete(s, ADMIN, clock.now(), image.id, note="  ")
        assert err.value.field == "evidence"
        checklist.complete(
            s,
            ADMIN,
            clock.now(),
            image.id,
            file_name="image.txt",
            file_type="text/plain",
            content=b"D:/img.gho",
        )
        with pytest.raises(Conflict):
            checklist.complete(s, ADMIN, clock.now(), image.id, note="again")
        score = next(r for r in checklist.scores(s, plan, clock.now(), "en").risks if r.risk == "computers")
        assert (score.done, score.total, score.percent) == (1, 3, 33)
        checklist.reopen(s, ADMIN, clock.now(), image.id, "the image did not boot")
        assert checklist.get_item(s, image.id).evidence_file is None


def test_a_too_large_file_is_refused_and_nothing_changes(db, clock, plan):
    with db.transaction() as s:
        item = checklist.init_from_plan(s, ADMIN, clock.now(), plan)[0]
        item_id = item.id
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        checklist.complete(
            s,
            ADMIN,
            clock.now(),
            item_id,
            file_name="big.bin",
            content=b"x" * (checklist.MAX_EVIDENCE_BYTES + 1),
        )
    assert err.value.field == "evidence"
    with db.transaction() as s:
        assert checklist.get_item(s, item_id).done_at is None


def test_an_owner_of_the_wrong_role_is_refused(db, clock, plan):
    li, ann = _people(db, clock, plan)
    with db.transaction() as s:
        items = checklist.init_from_plan(s, ADMIN, clock.now(), plan)
        member_item = next(i for i in items if i.owner_role == "member")
        with pytest.raises(InvalidInput) as err:
            checklist.assign(s, ADMIN, clock.now(), member_item.id, ann)
        assert err.value.field == "person_id"
        assert checklist.assign(s, ADMIN, clock.now(), member_item.id, li).owner_id == li


def test_overdue_items_tell_their_owner_once_in_the_owners_language(db, clock, plan):
    li, ann = _people(db, clock, plan)
    with db.transaction() as s:
        items = checklist.init_from_plan(s, ADMIN, clock.now(), plan)
        line = next(i for i in items if i.template == "network.second_line")  # deputy, 5 days before
        checklist.assign(s, ADMIN, clock.now(), line.id, ann)
        done = next(i for i in items if i.template == "network.bill_paid")
        checklist.complete(s, ADMIN, clock.now(), done.id, note="paid till March")
    before_due = line.due_at - timedelta(minutes=1)
    with db.transaction() as s:
        early = checklist.notify_overdue(s, before_due, plan)  # items due 10 days before, not this one
    assert line.id not in {i.id for i in early}
    with db.transaction() as s:
        told = checklist.notify_overdue(s, clock.now(), plan)
        again = checklist.notify_overdue(s, clock.now() + timedelta(hours=1), plan)
    assert line.id in {i.id for i in told} and done.id not in {i.id for i in told}
    assert again == []
    with db.transaction() as s:
        to_ann = s.scalars(
            select(Notification).where(
                Notification.event == "readiness_overdue", Notification.person_id == ann
            )
        ).all()
    about_line = [m for m in to_ann if "second line" in m.subject]
    assert len(about_line) == 1 and about_line[0].language == "en"
    assert len(to_ann) == 4  # and the three unowned deputy items reach the on-duty deputy


def test_timeline_reminders_fire_once_and_late_ones_are_missed(db, clock, plan):
    """S1.8: 00:00, 09:00, 15:00, 20:00 and the last hour, each once; a reminder found hours
    late is recorded as missed, not sent."""
    li, ann = _people(db, clock, plan)
    midnight = clock.now()  # 2026-11-11 00:00 in Shanghai
    with db.transaction() as s:
        sent = timeline.remind(s, midnight, plan)
        assert [(r.at, r.status) for r in sent] == [("00:00", "sent")]
        assert timeline.remind(s, midnight + timedelta(minutes=1), plan) == []
    with db.transaction() as s:
        later = timeline.remind(s, midnight + timedelta(hours=15, minutes=5), plan)
        assert [(r.at, r.status) for r in later] == [("09:00", "missed"), ("15:00", "sent")]
        points = {p.reminder.at: p.status for p in timeline.points(s, plan, midnight + timedelta(hours=16))}
    assert points == {
        "00:00": "sent",
        "09:00": "missed",
        "15:00": "sent",
        "20:00": "upcoming",
        "23:00": "upcoming",
    }
    with db.transaction() as s:
        messages = s.scalars(select(Notification).where(Notification.event == "reminder")).all()
    to_li = [m for m in messages if m.person_id == li]
    assert len(to_li) == 2 and to_li[0].language == "zh_CN" and "主推商品爆发" in to_li[0].body
    to_ann = [m for m in messages if m.person_id == ann]
    assert len(to_ann) == 2 and "main products burst" in to_ann[0].body


def test_quick_replies_follow_the_incident_kind(plan):
    """S1.2, S1.4, S1.5: the right ready answer in the reader's language."""
    assert [r.key for r in replies.for_kind(plan, "platform_outage", "zh_CN")] == ["platform_outage"]
    assert [r.key for r in replies.for_kind(plan, "backlog", "en")] == ["delayed_parcels"]
    coupon = replies.for_kind(plan, "coupon_failure", "en")[0]
    assert "cash-back" in coupon.text
    assert replies.for_kind(plan, "fire", "en") == []
    assert {r.key for r in replies.all_replies(plan, "zh_CN")} == {
        "platform_outage",
        "delayed_parcels",
        "coupon_compensation",
    }


@pytest.mark.parametrize(
    ("scenario", "kind", "level"),
    [
        ("backlog", "backlog", "L2"),
        ("lost", "lost", "L2"),
        ("transit_interrupted", "transit_interrupted", "L2"),
        ("theft", "robbery_theft", "L1"),
        ("platform_outage", "platform_outage", "L2"),
        ("coupon_failure", "coupon_failure", "L2"),
    ],
)
def test_a_drill_opens_its_incident_through_detection(db, clock, plan, scenario, kind, level):
    with db.transaction() as s:
        drill = drills.start(s, ADMIN, clock.now(), plan, scenario)
        drill_id, scope = drill.id, drill.scope
    detection_job(db, clock.now())
    with db.transaction() as s:
        opened = s.scalars(select(Incident).where(Incident.area == scope)).all()
        assert [(i.kind, i.level) for i in opened] == [(kind, level)]
        assert drills.refresh(s, clock.now(), drills.get(s, drill_id)).incident_id == opened[0].id


def test_a_drill_measures_acknowledge_and_resolve_against_the_deadline(db, clock, plan):
    with db.transaction() as s:
        drill_id = drills.start(s, ADMIN, clock.now(), plan, "backlog").id
    detection_job(db, clock.now())
    clock.advance(minutes=4)
    with db.transaction() as s:
        incident_id = drills.refresh(s, clock.now(), drills.get(s, drill_id)).incident_id
        assert incident_id is not None
        lifecycle.acknowledge(s, ADMIN, clock.now(), incident_id)
    clock.advance(minutes=20)
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, clock.now(), incident_id, "moved the backlog to the spare line")
    readiness_job(db, clock.now())
    with db.transaction() as s:
        drill = drills.get(s, drill_id)
        assert (drill.acknowledged_seconds, drill.resolved_seconds) == (240, 1440)
        assert drill.deadline_minutes == plan.levels["L2"].deadline_minutes
        assert drill.outcome == "met"


def test_an_unknown_scenario_names_the_choices(db, clock, plan):
    with pytest.raises(InvalidInput) as err, db.transaction() as s:
        drills.start(s, ADMIN, clock.now(), plan, "meteor")
    assert err.value.field == "scenario" and "backlog" in err.value.message


def test_the_handler_hears_the_deadline_is_near_once(db, clock, plan):
    """S3.4: at 80% of the deadline the handler (and supervisor) are told, once."""
    _people(db, clock, plan)
    with db.transaction() as s:
        incident = reporting.report(
            s, ADMIN, clock.now(), kind="backlog", area="FZ-01", count=25, plan=plan
        ).incident
        incident_id, minutes = incident.id, incident.deadline_minutes
    clock.advance(minutes=minutes * 0.8 - 1)
    with db.transaction() as s:
        deadlines.tick(s, clock.now(), plan)
    clock.advance(minutes=2)
    with db.transaction() as s:
        deadlines.tick(s, clock.now(), plan)
        deadlines.tick(s, clock.now(), plan)
        near = s.scalars(
            select(Notification).where(
                Notification.event == "deadline_near", Notification.incident_id == incident_id
            )
        ).all()
    assert sorted(n.role for n in near) == ["deputy", "member"]
    assert any("即将超时" in n.subject for n in near)
