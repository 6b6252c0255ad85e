"""On-call schedules (issue 17) on SQLite and PostgreSQL with the injected clock: shift
rotations with their hand-over time in the plan's zone, layers, overrides ("I take Li's
night"), swaps, the roster's availability, coverage gaps as S1.4 readiness items, hand-over
messages with the open incidents, and the calendar feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from peakguard.errors import InvalidInput
from peakguard.incidents import reporting
from peakguard.notify.models import Notification
from peakguard.oncall import handover, service
from peakguard.oncall.duty import on_duty
from peakguard.readiness import checklist
from peakguard.readiness.models import ChecklistItem
from peakguard.roster import service as roster
from tests.factories import ADMIN

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 11)


def local(hhmm: str, day: date = DAY) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def people(db, clock, plan, *rows):
    with db.transaction() as s:
        return [roster.add_person(s, ADMIN, clock.now(), plan, name=n, role=r).id for n, r in rows]


def day_night(db, clock, plan, members, starts_on=DAY - timedelta(days=1), **kw):
    with db.transaction() as s:
        return service.add_rotation(
            s, ADMIN, clock.now(), plan, name="members day/night", role="member",
            shifts=["08:00", "20:00"], members=members, starts_on=starts_on, **kw,
        ).id  # fmt: skip


def duty(db, role, at):
    with db.transaction() as s:
        return [p.name for p in on_duty(s, role, at)]


def test_day_and_night_shifts_hand_over_at_20_and_08_local_time(db, clock, plan):
    wang, li = people(db, clock, plan, ("Wang", "member"), ("Li", "member"))
    day_night(db, clock, plan, [wang, li])
    assert duty(db, "member", local("19:59")) == ["Wang"]
    assert duty(db, "member", local("20:00")) == ["Li"]
    assert duty(db, "member", local("07:59", DAY + timedelta(days=1))) == ["Li"]
    assert duty(db, "member", local("08:00", DAY + timedelta(days=1))) == ["Wang"]


def test_three_people_take_turns_and_a_daily_rotation_hands_over_once_a_day(db, clock, plan):
    a, b, c = people(db, clock, plan, ("A", "member"), ("B", "member"), ("C", "member"))
    d1, d2 = people(db, clock, plan, ("D1", "deputy"), ("D2", "deputy"))
    day_night(db, clock, plan, [a, b, c], starts_on=DAY)
    with db.transaction() as s:
        service.add_rotation(
            s, ADMIN, clock.now(), plan, name="deputies", role="deputy", shifts=["09:00"],
            members=[d1, d2], starts_on=DAY,
        )  # fmt: skip
    turns = [duty(db, "member", local(t, DAY + timedelta(days=i))) for i in (0, 1) for t in ("09:00", "21:00")]
    assert turns == [["A"], ["B"], ["C"], ["A"]]
    assert duty(db, "deputy", local("08:59", DAY + timedelta(days=1))) == ["D1"]
    assert duty(db, "deputy", local("09:00", DAY + timedelta(days=1))) == ["D2"]
    assert duty(db, "member", local("07:00")) == []  # before the rotation starts: a gap, no fallback


def test_a_higher_layer_wins_where_it_has_a_shift(db, clock, plan):
    wang, li, zhou = people(db, clock, plan, ("Wang", "member"), ("Li", "member"), ("Zhou", "member"))
    day_night(db, clock, plan, [wang, li])
    with db.transaction() as s:  # the peak day: Zhou holds the night alone, only on the 11th
        service.add_rotation(
            s, ADMIN, clock.now(), plan, name="peak night", role="member", shifts=["20:00"],
            members=[zhou], starts_on=DAY, ends_on=DAY + timedelta(days=1), layer=2,
        )  # fmt: skip
    assert duty(db, "member", local("21:00")) == ["Zhou"]
    assert duty(db, "member", local("21:00", DAY + timedelta(days=1))) == ["Li"]


def test_i_take_lis_night_then_cancel(db, clock, plan):
    wang, li, chen = people(db, clock, plan, ("Wang", "member"), ("Li", "member"), ("Chen", "member"))
    day_night(db, clock, plan, [wang, li])
    with db.transaction() as s:
        override = service.add_override(
            s, ADMIN, clock.now(), plan, role="member", person_id=chen, replaces_id=li,
            start=local("20:00"), end=local("08:00", DAY + timedelta(days=1)), reason="Li's night",
        )  # fmt: skip
    assert duty(db, "member", local("23:00")) == ["Chen"]
    assert duty(db, "member", local("19:00")) == ["Wang"]
    with db.transaction() as s:
        service.remove_override(s, ADMIN, clock.now(), override.id)
    assert duty(db, "member", local("23:00")) == ["Li"]


def test_a_swap_trades_two_shifts_and_cancelling_one_half_cancels_both(db, clock, plan):
    wang, li = people(db, clock, plan, ("Wang", "member"), ("Li", "member"))
    day_night(db, clock, plan, [wang, li])
    with db.transaction() as s:
        pair = service.swap(
            s, ADMIN, clock.now(), plan, role="member", person_id=wang, shift_at=local("10:00"),
            other_id=li, other_shift_at=local("22:00"),
        )  # fmt: skip
    assert duty(db, "member", local("10:00")) == ["Li"]
    assert duty(db, "member", local("22:00")) == ["Wang"]
    with pytest.raises(InvalidInput) as err, db.transaction() as s:  # Li has no shift at 10:00
        service.swap(
            s, ADMIN, clock.now(), plan, role="member", person_id=li, shift_at=local("10:00", DAY + timedelta(days=1)),
            other_id=wang, other_shift_at=local("22:00"),
        )  # fmt: skip
    assert err.value.field == "shift_at"
    with db.transaction() as s:
        service.remove_override(s, ADMIN, clock.now(), pair[1].id)
        assert service.list_overrides(s, clock.now()) == []


def test_an_unavailable_person_is_skipped_and_leaves_a_gap(db, clock, plan):
    wang, li = people(db, clock, plan, ("Wang", "member"), ("Li", "member"))
    day_night(db, clock, plan, [wang, li])
    with db.transaction() as s:
        roster.set_duty(s, ADMIN, clock.now(), li, False)  # Li is sick
    assert duty(db, "member", local("22:00")) == []
    with db.transaction() as s:
        gaps = [g for g in service.gaps(s, plan, clock.now()) if g.role == "member"]
    assert gaps[0].start == clock.now()  # Li's night from the 10th is going on
    assert (gaps[1].start, gaps[1].end) == (local("20:00"), local("08:00", DAY + timedelta(days=1)))


def test_a_role_without_rotation_is_on_duty_as_a_whole(db, clock, plan):
    people(db, clock, plan, ("Zhao", "deputy"), ("Qian", "deputy"))
    assert duty(db, "deputy", local("03:00")) == ["Zhao", "Qian"]


def test_incidents_go_to_whoever_is_on_duty_at_the_clocks_time(db, clock, plan):
    wang, li = people(db, clock, plan, ("Wang", "member"), ("Li", "member"))
    day_night(db, clock, plan, [wang, li])
    with db.transaction() as s:
        day = reporting.report(s, ADMIN, local("19:59"), kind="complaint", area="A", plan=plan).incident
        night = reporting.report(s, ADMIN, local("20:00"), kind="complaint", area="B", plan=plan).incident
        assert (day.assignee_id, night.assignee_id) == (wang, li)
        told = {n.person_id for n in s.scalars(select(Notification).where(Notification.incident_id == night.id))}
    assert told == {li}


def test_rotation_input_errors_name_the_field(db, clock, plan):
    (wang,) = people(db, clock, plan, ("Wang", "member"))
    (zhao,) = people(db, clock, plan, ("Zhao", "deputy"))
    cases = [
        ({"shifts": ["8:00"]}, "shifts.0"),
        ({"shifts": ["20:00", "08:00"]}, "shifts"),
        ({"members": [zhao]}, "members.0"),
        ({"members": [999]}, "members.0"),
        ({"role": "boss"}, "role"),
        ({"ends_on": DAY - timedelta(days=3)}, "ends_on"),
    ]
    for change, field in cases:
        args = {"name": "r", "role": "member", "shifts": ["08:00"], "members": [wang], "starts_on": DAY} | change
        with pytest.raises(InvalidInput) as err, db.transaction() as s:
            service.add_rotation(s, ADMIN, clock.now(), plan, **args)
        assert err.value.field == field, change
    with db.transaction() as s:
        assert service.list_rotations(s) == []


def test_a_gap_ahead_is_an_overdue_s14_item_until_the_schedule_covers_it(db, clock, plan):
    wang, li, chen = people(db, clock, plan, ("Wang", "member"), ("Li", "member"), ("Chen", "member"))
    people(db, clock, plan, ("Zhao", "deputy"), ("Sun", "leader"))
    day_night(db, clock, plan, [wang, li], ends_on=DAY + timedelta(days=1))  # nobody after the 12th 08:00
    with db.transaction() as s:
        assert handover.keep_gap_items(s, clock.now(), plan) == ["member"]
    with db.transaction() as s:
        item = s.scalar(select(ChecklistItem).where(ChecklistItem.template == "oncall_gap.member"))
        assert item.risk == "staff" and item.owner_role == "deputy"
        assert checklist.is_overdue(item, clock.now())
        assert "11-12 08:00" in item.text["en"] and "11-12 08:00" in item.text["zh_CN"]
    with db.transaction() as s:  # the readiness round tells the owner once
        told = checklist.notify_overdue(s, clock.now(), plan)
        assert [i.template for i in told] == ["oncall_gap.member"]
    with db.transaction() as s:
        service.add_rotation(
            s, ADMIN, clock.now(), plan, name="after the peak", role="member", shifts=["08:00"],
            members=[chen], starts_on=DAY + timedelta(days=1),
        )  # fmt: skip
        assert handover.keep_gap_items(s, clock.now(), plan) == []
    with db.transaction() as s:
        item = s.scalar(select(ChecklistItem).where(ChecklistItem.template == "oncall_gap.member"))
        assert item.done_at is not None and "covered" in item.evidence_note


def test_the_handover_tells_the_incoming_person_once_with_the_open_incidents(db, clock, plan):
    wang, li = people(db, clock, plan, ("Wang", "member"), ("Li", "member"))
    day_night(db, clock, plan, [wang, li])
    with db.transaction() as s:
        inc = reporting.report(s, ADMIN, local("19:30"), kind="backlog", area="FZ-01", count=25, plan=plan).incident
    for at in (local("20:00"), local("20:01"), local("20:30")):
        with db.transaction() as s:
            handover.send_handovers(s, at, plan)
    with db.transaction() as s:
        sent = list(s.scalars(select(Notification).where(Notification.event == "handover")))
    assert [n.person_id for n in sent] == [li]
    assert f"#{inc.id}" in sent[0].body and "FZ-01" in sent[0].body
    assert "11-12 08:00" in sent[0].subject


def test_calendar_feed_has_the_persons_shifts_and_refuses_a_wrong_token(client, db, clock, plan, headers_for):
    wang, li = people(db, clock, plan, ("Wang", "member"), ("Li", "member"))
    day_night(db, clock, plan, [wang, li])
    link = client.post(f"/api/v1/oncall/calendar/{li}", headers=headers_for("leader"))
    assert link.status_code == 201
    path = link.json()["url"].split("testserver", 1)[1]
    feed = client.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    text = feed.text
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    starts = [line for line in text.split("\r\n") if line.startswith("DTSTART:")]
    assert f"DTSTART:{local('20:00').strftime('%Y%m%dT%H%M%SZ')}" in starts
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert client.get("/oncall/calendar/cal_forged.ics").status_code == 404
    again = client.post(f"/api/v1/oncall/calendar/{li}", headers=headers_for("leader"))
    assert client.get(path).status_code == 404  # a new link retires the old one
    assert client.get(again.json()["url"].split("testserver", 1)[1]).status_code == 200


def test_api_rotations_overrides_now_and_week(client, db, clock, plan, headers_for):
    wang, li, chen = people(db, clock, plan, ("Wang", "member"), ("Li", "member"), ("Chen", "member"))
    leader, member = headers_for("leader"), headers_for("member")
    body = {"name": "m", "role": "member", "shifts": ["08:00", "20:00"], "members": [wang, li], "starts_on": "2026-11-10"}
    assert client.post("/api/v1/oncall/rotations", json=body, headers=member).status_code == 403
    r = client.post("/api/v1/oncall/rotations", json=body | {"shifts": ["25:00"]}, headers=leader)
    assert r.status_code == 422 and r.json()["error"]["field"] == "shifts.0"
    assert client.post("/api/v1/oncall/rotations", json=body, headers=leader).status_code == 201
    r = client.post(
        "/api/v1/oncall/overrides",
        json={"role": "member", "person_id": chen, "replaces_id": wang, "reason": "doctor",
              "start": "2026-11-11T08:00:00+08:00", "end": "2026-11-11T10:00:00+08:00"},
        headers=leader,
    )  # fmt: skip
    assert r.status_code == 201
    now = {d["role"]: d for d in client.get("/api/v1/oncall/now", headers=member).json()}
    assert now["member"]["now"]["names"] == ["Li"]  # 00:00 on the 11th: Li's night
    assert now["member"]["next"]["names"] == ["Chen"]
    assert now["member"]["next"]["start"] == "2026-11-11T00:00:00Z"  # 08:00 local
    week = client.get("/api/v1/oncall/week?start=2026-11-11", headers=member).json()
    assert [s["names"] for s in week["member"][:3]] == [["Li"], ["Chen"], ["Wang"]]
    assert client.get("/api/v1/oncall/now").status_code == 401


def test_a_remembered_block_reads_the_schedule_once_per_role_and_instant(db, clock, plan):
    """A detector's round opens many incidents at one instant (issue 14): inside
    ``duty.remembered`` the schedule is read once for each role and instant, the same people
    come back, and after the block a change to the schedule is seen again."""
    from sqlalchemy import event

    from peakguard.oncall import duty as duty_module

    wang, li = people(db, clock, plan, ("Wang", "member"), ("Li", "member"))
    day_night(db, clock, plan, [wang, li])
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.transaction() as s, duty_module.remembered(s):
            first = [p.name for p in on_duty(s, "member", local("10:00"))]
            asked = len(statements)
            again = [[p.name for p in on_duty(s, "member", local("10:00"))] for _ in range(5)]
            assert len(statements) == asked  # no more reads for the same role and instant
            night = [p.name for p in on_duty(s, "member", local("21:00"))]
            assert len(statements) > asked
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert first == ["Wang"] and again == [["Wang"]] * 5 and night == ["Li"]
    with db.transaction() as s:
        roster.set_duty(s, ADMIN, clock.now(), wang, False)
    assert "Wang" not in duty(db, "member", local("10:00"))
