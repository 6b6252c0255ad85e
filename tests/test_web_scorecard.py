"""Issue 17 on the web and the API: the scorecard page (SVG charts, no script) and its API; the
incident page's snooze form, the incidents muted under an inhibiting one, the clients told and
the suggested next penalty step; a client's portal lists the incidents touching its goods and
never another client's."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from peakguard.incidents import lifecycle, reporting, reviews
from peakguard.stakeholders import service as stakeholders
from peakguard.warehouse import clients
from tests.factories import ADMIN, login, make_user


def test_the_scorecard_page_and_api(client, db, clock, plan, headers_for):
    t0 = clock.now()
    with db.transaction() as s:
        iid = reporting.report(s, ADMIN, t0, kind="backlog", area="FZ-01", count=3, plan=plan).incident.id
        lifecycle.acknowledge(s, ADMIN, t0 + timedelta(minutes=6), iid)
        lifecycle.resolve(s, ADMIN, t0 + timedelta(minutes=50), iid, "cleared", plan=plan)
        reviews.save_review(s, ADMIN, t0 + timedelta(hours=1), iid, root_cause="late van", accountable_type="outlet",
                              accountable_name="FZ-01", penalty_step="correction", plan=plan)  # fmt: skip
    login(client, make_user(db, clock, "member"))
    page = client.get("/scorecard").text
    assert 'id="chart-levels"' in page and 'id="chart-weeks"' in page and "<svg" in page
    assert "<script>" not in page
    assert 'data-outlet="FZ-01"' in page and "自查" in page  # after 限期整改 comes 自查 (S3.5 (2))
    assert "6 / 6" in page and "50 / 50" in page
    api = headers_for("viewer")
    rows = client.get("/api/v1/scorecard/times?by=outlet", headers=api).json()
    assert rows[0]["key"] == "FZ-01" and rows[0]["ack_mean_minutes"] == 6.0 and rows[0]["breached"] == 1
    (card,) = client.get("/api/v1/scorecard/outlets", headers=api).json()
    assert card == {
        "outlet": "FZ-01",
        "incidents": 1,
        "breached": 1,
        "penalties": {"correction": 1},
        "next_step": "self_check",
    }
    bad = client.get("/api/v1/scorecard/times?by=colour", headers=api)
    assert bad.status_code == 422 and "by" in bad.text
    client.cookies.clear()
    assert client.get("/api/v1/scorecard/outlets").status_code == 401


def test_the_incident_page_snoozes_and_lists_what_it_mutes(client, db, clock, plan, headers_for):
    t0 = clock.now()
    with db.transaction() as s:
        hub = reporting.report(
            s, ADMIN, t0, kind="transit_interrupted", area="A-02", count=120, plan=plan
        ).incident.id
        behind = reporting.report(s, ADMIN, t0, kind="backlog", area="A-01", count=25, plan=plan).incident.id
        other = reporting.report(s, ADMIN, t0, kind="complaint", area="FZ-01", plan=plan).incident.id
    token = login(client, make_user(db, clock, "member"))
    assert f'href="/incidents/{behind}"' in client.get(f"/incidents/{hub}").text.split('id="muted-under"')[1]
    assert f"#{hub}" in client.get(f"/incidents/{behind}").text.split('class="muted-by"')[1]
    until = (
        (t0 + timedelta(hours=1, minutes=8)).astimezone(ZoneInfo(plan.timezone)).strftime("%Y-%m-%dT%H:%M")
    )
    r = client.post(f"/incidents/{other}/snooze", data={"csrf_token": token, "until": "", "reason": "x"})
    assert "until" in r.text or "时间" in r.text
    client.post(
        f"/incidents/{other}/snooze", data={"csrf_token": token, "until": until, "reason": "等承运商回电"}
    )
    page = client.get(f"/incidents/{other}").text
    assert 'class="snoozed"' in page and "等承运商回电" in page
    api = headers_for("member")
    (mute,) = client.get(f"/api/v1/oncall/incidents/{other}/mutes", headers=api).json()
    assert (mute["cause"], mute["reason"], mute["ended_at"]) == ("snoozed", "等承运商回电", None)
    assert [m["id"] for m in client.get(f"/api/v1/oncall/incidents/{hub}/muted", headers=api).json()] == [
        behind
    ]
    bad = client.post(
        f"/api/v1/oncall/incidents/{other}/snooze", headers=api, json={"until": t0.isoformat(), "reason": ""}
    )
    assert bad.status_code == 422


def test_a_client_sees_in_its_portal_only_the_incidents_touching_its_goods(
    client, db, clock, plan, headers_for
):
    t0 = clock.now()
    with db.transaction() as s:
        a = clients.create_client(s, ADMIN, t0, code="shop-a", name="花花旗舰店").id
        b = clients.create_client(s, ADMIN, t0, code="shop-b", name="小米粒家居").id
        mine = reporting.report(s, ADMIN, t0, kind="robbery_theft", area="A-01-HUB", plan=plan).incident.id
        theirs = reporting.report(s, ADMIN, t0, kind="lost", area="A-03", count=6, plan=plan).incident.id
        stakeholders.link_client(s, ADMIN, t0, mine, "shop-a")
        stakeholders.link_client(s, ADMIN, t0, theirs, "shop-b")
    staff = login(client, make_user(db, clock, "member"))
    r = client.post(
        f"/incidents/{mine}/client-update", data={"csrf_token": staff, "text": "车辆已报警，正在追回。"}
    )
    assert r.status_code == 200
    client.cookies.clear()
    login(client, make_user(db, clock, "client", client_id=a))
    page = client.get(f"/portal/{a}/incidents").text
    assert f'data-incident="{mine}"' in page and f'data-incident="{theirs}"' not in page
    assert "快件被抢被盗" in page and "车辆已报警，正在追回。" in page
    assert client.get(f"/portal/{b}/incidents").status_code == 404
    api = headers_for("client", client_id=a)
    assert [
        i["id"] for i in client.get(f"/api/v1/stakeholders/clients/{a}/incidents", headers=api).json()
    ] == [mine]
    assert client.get(f"/api/v1/stakeholders/clients/{b}/incidents", headers=api).status_code == 404


def test_the_war_room_marks_muted_incidents_and_what_mutes_them(client, db, clock, plan):
    t0 = clock.now()
    with db.transaction() as s:
        hub = reporting.report(s, ADMIN, t0, kind="transit_interrupted", area="A-02", count=120, plan=plan).incident.id
        behind = reporting.report(s, ADMIN, t0, kind="backlog", area="A-03", count=25, plan=plan).incident.id
    login(client, make_user(db, clock, "viewer"))
    live = client.get("/war-room/live").text
    source = live.split(f'data-id="{hub}"')[1].split("</li>")[0]
    muted = live.split(f'data-id="{behind}"')[1].split("</li>")[0]
    assert f"静默 #{behind}" in source and f"已静默 #{hub}" in muted
