"""The on-call page (issue 17): now and next per role, the week as a grid with gaps marked,
overrides from a form; the readiness page shows coverage gaps days ahead (S1.4)."""

from __future__ import annotations

from datetime import timedelta

from peakguard.oncall import noise, service
from tests.factories import login, make_user
from tests.test_oncall_schedule import DAY, day_night, people


def test_the_week_grid_shows_shifts_now_and_gaps(client, db, clock, plan):
    wang, li = people(db, clock, plan, ("王", "member"), ("李", "member"))
    day_night(db, clock, plan, [wang, li], ends_on=DAY + timedelta(days=2))
    login(client, make_user(db, clock, "viewer"))
    page = client.get("/oncall?start=2026-11-11").text
    assert "本周排班" in page and "11-11" in page and "11-17" in page
    assert "08:00–20:00" in page and "20:00–24:00" in page and "王" in page and "李" in page
    assert 'class="shift gap' in page  # nobody after the 13th 08:00
    assert 'class="shift  current"' in page  # 00:00 on the 11th: Li's night is now
    assert "Cover a shift" not in page and "代班人" not in page  # a viewer cannot change it
    readiness = client.get("/readiness").text
    assert "值班覆盖" in readiness and "无人值班" in readiness


def test_a_leader_covers_a_shift_from_the_form(client, db, clock, plan):
    wang, li, chen = people(db, clock, plan, ("王", "member"), ("李", "member"), ("陈", "member"))
    day_night(db, clock, plan, [wang, li])
    token = login(client, make_user(db, clock, "leader"))
    form = {"csrf_token": token, "role": "member", "person_id": str(chen), "replaces_id": str(li), "reason": "李病假"}
    bad = client.post("/oncall/overrides", data=form | {"start": "2026-11-11T20:00", "end": "2026-11-11T19:00"})
    assert "end" in bad.text and "代班已保存" not in bad.text
    ok = client.post("/oncall/overrides", data=form | {"start": "2026-11-11T20:00", "end": "2026-11-12T08:00"})
    assert "代班已保存" in ok.text and "李病假" in ok.text
    with db.transaction() as s:
        (override,) = service.list_overrides(s, clock.now())
        assert override.start_at.isoformat() == "2026-11-11T12:00:00+00:00"  # 20:00 Shanghai
    forged = client.post("/oncall/overrides", data=form | {"csrf_token": "x", "start": "2026-11-12T20:00", "end": "2026-11-13T08:00"})
    assert forged.status_code == 403


def test_maintenance_windows_from_the_page(client, db, clock, plan):
    token = login(client, make_user(db, clock, "leader"))
    form = {"csrf_token": token, "scope": "FZ-HUB", "kind": "", "start": "2026-11-11T00:00", "end": "2026-11-11T06:00"}
    refused = client.post("/oncall/maintenance", data=form | {"reason": ""})
    assert "reason" in refused.text and "维护时段已保存" not in refused.text
    saved = client.post("/oncall/maintenance", data=form | {"reason": "分拨中心夜间停运"})
    assert "维护时段已保存" in saved.text and "分拨中心夜间停运" in saved.text and "所有类型" in saved.text
    with db.transaction() as s:
        (window,) = noise.list_windows(s, clock.now())
    ended = client.post(f"/oncall/maintenance/{window.id}/end", data={"csrf_token": token})
    assert "维护时段已结束" in ended.text and "没有计划维护时段" in ended.text
