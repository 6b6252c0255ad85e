"""Escalation until acknowledged (issue 17) on SQLite and PostgreSQL with the injected clock:
a rotation hand-over at 20:00 moves paging to the night person; no acknowledgement within the
level's minutes pages the next person, then the supervisor role, then repeats, and stops at the
acknowledgement; a restart (new engines) or two racing tickers page nobody twice; the S3.4
deadline and its breach escalation are unchanged."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from peakguard.db import Database
from peakguard.incidents import lifecycle, queries, reporting
from peakguard.incidents.models import Deadline
from peakguard.notify.models import Notification
from peakguard.oncall import paging
from peakguard.oncall.jobs import oncall_job
from peakguard.oncall.models import Page
from peakguard.roster import service as roster
from tests.factories import ADMIN
from tests.test_oncall_schedule import day_night, local, people

ACK = 10  # the default plan's L3 rule: acknowledge within 10 minutes, 2 rounds, then the deputy


def pages(db) -> list[tuple[str | None, int, str]]:
    """(person, round, state) of every page, in order."""
    with db.transaction() as s:
        names = {p.id: p.name for p in roster.list_people(s)}
        rows = s.scalars(select(Page).order_by(Page.id))
        return [(names.get(p.person_id) if p.person_id else None, p.round, p.state) for p in rows]


def paged_messages(db) -> list[int | None]:
    """Whom each page's message went to (the first page is the incident's own alert to the
    assignee; the later ones are ``page`` messages), and no message twice."""
    with db.transaction() as s:
        query = select(Notification.person_id).join(Page, Page.notification_id == Notification.id).order_by(Page.id)
        linked = list(s.scalars(query))
        pages_sent = s.scalars(select(Notification.id).where(Notification.event == "page")).all()
        assert len(pages_sent) == len(linked) - 1  # every page after the first is one message
        return linked


def open_complaint(db, at, plan, area="FZ-01") -> int:
    with db.transaction() as s:
        return reporting.report(s, ADMIN, at, kind="complaint", area=area, plan=plan).incident.id


def tick(db, at, plan) -> list[str | None]:
    with db.transaction() as s:
        return [p.person_id for p in paging.tick(s, at, plan)]


def test_the_2000_handover_moves_paging_to_the_night_person(db, clock, plan):
    wang, li = people(db, clock, plan, ("Wang", "member"), ("Li", "member"))
    people(db, clock, plan, ("Zhao", "deputy"))
    day_night(db, clock, plan, [wang, li])
    open_complaint(db, local("19:55"), plan)
    assert pages(db) == [("Wang", 1, "waiting")]
    assert tick(db, local("20:04"), plan) == []  # Wang still has a minute
    assert tick(db, local("20:05"), plan) == [li]  # 20:00 hand-over: the night person, not Wang again
    assert pages(db) == [("Wang", 1, "missed"), ("Li", 1, "waiting")]
    assert paged_messages(db) == [wang, li]


def test_unanswered_pages_go_to_the_next_person_then_the_supervisor_repeat_and_stop_at_the_ack(db, clock, plan):
    with db.transaction() as s:
        wang = roster.add_person(s, ADMIN, clock.now(), plan, name="Wang", role="member", priority=1).id
        chen = roster.add_person(s, ADMIN, clock.now(), plan, name="Chen", role="member", priority=2).id
        zhao = roster.add_person(s, ADMIN, clock.now(), plan, name="Zhao", role="deputy").id
    t0 = clock.now()
    iid = open_complaint(db, t0, plan)
    assert tick(db, t0 + timedelta(minutes=ACK), plan) == [chen]
    assert tick(db, t0 + timedelta(minutes=2 * ACK), plan) == [zhao]  # the supervisor role
    assert tick(db, t0 + timedelta(minutes=3 * ACK), plan) == [wang]  # round 2 starts again
    with db.transaction() as s:
        lifecycle.acknowledge(s, ADMIN, t0 + timedelta(minutes=35), iid)
    assert tick(db, t0 + timedelta(hours=2), plan) == []
    assert pages(db) == [
        ("Wang", 1, "missed"), ("Chen", 1, "missed"), ("Zhao", 1, "missed"), ("Wang", 2, "answered"),
    ]  # fmt: skip
    assert paged_messages(db) == [wang, chen, zhao, wang]
    with db.transaction() as s:
        answered = s.scalars(select(Page).where(Page.state == "answered")).one()
        assert answered.answered_by == ADMIN.name and answered.answered_at == t0 + timedelta(minutes=35)
        deadline = s.scalars(select(Deadline).where(Deadline.incident_id == iid)).one()
        assert deadline.due_at == t0 + timedelta(minutes=30)  # S3.4: L3 done within 30 minutes, untouched
        events = [e.event for e in queries.get(s, iid).timeline]
        assert events.count("paged") == 3  # the first page is the opening itself


def test_paging_ends_after_the_last_round(db, clock, plan):
    wang, zhao = people(db, clock, plan, ("Wang", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    iid = open_complaint(db, t0, plan)
    for i in range(1, 8):
        tick(db, t0 + timedelta(minutes=i * ACK), plan)
    assert [p[:2] for p in pages(db)] == [("Wang", 1), ("Zhao", 1), ("Wang", 2), ("Zhao", 2)]
    with db.transaction() as s:
        assert [e.event for e in queries.get(s, iid).timeline].count("paging_ended") == 1


def test_a_role_with_nobody_on_duty_is_paged_as_a_gap_and_the_escalation_moves_on(db, clock, plan):
    (zhao,) = people(db, clock, plan, ("Zhao", "deputy"))
    t0 = clock.now()
    open_complaint(db, t0, plan)
    assert tick(db, t0 + timedelta(minutes=ACK), plan) == [zhao]
    assert pages(db)[0] == (None, 1, "missed")


def test_a_raise_restarts_paging_from_the_new_levels_handler(db, clock, plan):
    wang, sun = people(db, clock, plan, ("Wang", "member"), ("Sun", "leader"))
    t0 = clock.now()
    with db.transaction() as s:
        reporting.report(s, ADMIN, t0, kind="robbery_theft", area="FZ-01", plan=plan)  # L1: the leader
        iid = reporting.report(s, ADMIN, t0, kind="backlog", area="FZ-02", count=5, plan=plan).incident.id
        reporting.report(s, ADMIN, t0 + timedelta(minutes=3), kind="backlog", area="FZ-02", count=30, mode="replace", plan=plan)
        states = [(p.level, p.chain, p.state) for p in paging.pages_of(s, iid)]
    assert states == [("L3", 1, "stopped"), ("L2", 2, "waiting")]


def test_a_restart_mid_escalation_pages_nobody_twice(db_url, clock, plan):
    first = Database(db_url)
    wang, chen, zhao = people(first, clock, plan, ("Wang", "member"), ("Chen", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    open_complaint(first, t0, plan)
    oncall_job(first, t0 + timedelta(minutes=ACK))
    first.dispose()  # the server dies here
    for _ in range(2):  # started again, it ticks at the same instant (twice, for good measure)
        again = Database(db_url)
        oncall_job(again, t0 + timedelta(minutes=ACK, seconds=1))
        again.dispose()
    after = Database(db_url)
    assert paged_messages(after) == [wang, chen]
    oncall_job(after, t0 + timedelta(minutes=2 * ACK))
    assert paged_messages(after) == [wang, chen, zhao]
    after.dispose()


def test_two_tickers_racing_page_each_step_once(db_url, clock, plan):
    first = Database(db_url)
    people(first, clock, plan, ("Wang", "member"), ("Chen", "member"), ("Zhao", "deputy"))
    t0 = clock.now()
    for i in range(6):
        open_complaint(first, t0, plan, area=f"A{i}")
    engines = [first, Database(db_url)]
    barrier = threading.Barrier(2)
    due = t0 + timedelta(minutes=ACK)

    def run(db: Database) -> None:
        barrier.wait()
        with db.transaction() as s:
            paging.tick(s, due, plan)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with first.transaction() as s:
        per_incident = [len(paging.pages_of(s, i)) for i in range(1, 7)]
    for e in engines:
        e.dispose()
    assert per_incident == [2] * 6
