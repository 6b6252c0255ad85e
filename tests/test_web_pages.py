"""The war-room pages over HTTP (issue 5): login with a session cookie and CSRF-checked forms,
the language switch, permissions as in the API, the dashboard (S3.3, S3.4) and the incident page
with every action and the after-action review (S3.5-S3.7)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from peakguard.auth import service as auth
from peakguard.incidents import deadlines, reporting
from peakguard.incidents.models import Incident
from tests.factories import ADMIN, PASSWORD, csrf_of, login, make_user, report

PAGES = [
    "/",
    "/war-room",
    "/war-room/live",
    "/readiness",
    "/admin/notifications",
    "/incidents/1",
    "/admin/plan",
    "/admin/roster",
    "/admin/users",
    "/account",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_a_session_sends_to_login(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=" + path
    polled = client.get(path, headers={"HX-Request": "true"}, follow_redirects=False)
    assert polled.status_code == 401 and polled.headers["HX-Redirect"].startswith("/login")


def test_login_wrong_password_in_chinese_then_right_lands_on_the_role_home(client, db, clock):
    name = make_user(db, clock, "leader")
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": "wrong-pass", "csrf_token": token})
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/war-room"
    assert client.get("/war-room").status_code == 200


def test_login_refuses_an_open_redirect(client, db, clock):
    name = make_user(db, clock, "leader")
    token = csrf_of(client.get("/login").text)
    data = {"username": name, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"}
    r = client.post("/login", data=data, follow_redirects=False)
    assert r.headers["location"] == "/war-room"


def test_a_logged_in_user_at_the_login_page_goes_home_not_round_in_circles(client, db, clock):
    login(client, make_user(db, clock, "leader"))
    r = client.get("/login?next=/login", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_every_post_needs_the_sessions_csrf_token(client, db, clock):
    """A forged or missing token is refused (403) and changes nothing."""
    incident_id = report(db, clock)
    login(client, make_user(db, clock, "member"))
    for data in ({}, {"csrf_token": "forged"}):
        r = client.post(f"/incidents/{incident_id}/ack", data=data)
        assert r.status_code == 403
    with db.transaction() as s:
        assert s.get(Incident, incident_id).status == "open"
    assert client.post("/login", data={"username": "x", "password": "y"}).status_code == 403


def test_login_renews_the_csrf_token(client, db, clock):
    before = csrf_of(client.get("/login").text)
    after = login(client, make_user(db, clock, "leader"))
    assert before != after


def test_logout_ends_the_session(client, db, clock):
    token = login(client, make_user(db, clock, "leader"))
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/war-room", follow_redirects=False).status_code == 303


def test_zh_cn_is_the_default_and_the_switch_is_kept_for_the_user(client, db, clock):
    name = make_user(db, clock, "leader")
    token = login(client, name)
    page = client.get("/war-room").text
    assert "处理中的事件" in page and 'lang="zh-CN"' in page
    r = client.post("/lang", data={"language": "en", "next": "/war-room", "csrf_token": token})
    assert "Active incidents" in r.text and 'lang="en"' in r.text
    with db.transaction() as s:
        assert auth.get_user(s, name).language == "en"
    fresh = TestClient(client.app)
    login(fresh, name)
    assert "Active incidents" in fresh.get("/war-room").text


def test_the_language_chosen_before_login_is_kept(client, db, clock):
    name = make_user(db, clock, "leader")
    token = csrf_of(client.get("/login").text)
    r = client.post("/lang", data={"language": "en", "next": "/login", "csrf_token": token})
    assert "Username" in r.text
    login(client, name)
    assert "Active incidents" in client.get("/war-room").text


def test_a_bad_language_is_refused(client, db, clock):
    token = login(client, make_user(db, clock, "leader"))
    assert client.post("/lang", data={"language": "fr", "csrf_token": token}).status_code == 422


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("viewer", "/war-room", 200),
        ("viewer", "/admin/users", 403),
        ("warehouse", "/admin/roster", 403),
        ("client", "/war-room", 403),
        ("leader", "/admin/users", 403),
        ("admin", "/admin/users", 200),
    ],
)
def test_pages_ask_for_the_same_permissions_as_the_api(client, db, clock, role, path, status):
    login(client, make_user(db, clock, role, client_id=1 if role == "client" else None))
    r = client.get(path)
    assert r.status_code == status
    if status == 403:
        assert "您无权打开此页面" in r.text


def test_a_viewer_cannot_act_on_an_incident(client, db, clock):
    incident_id = report(db, clock)
    token = login(client, make_user(db, clock, "viewer"))
    page = client.get(f"/incidents/{incident_id}").text
    assert 'id="ack"' not in page
    assert client.post(f"/incidents/{incident_id}/ack", data={"csrf_token": token}).status_code == 403


def test_the_war_room_lists_breached_first_with_level_colours_and_counts(client, db, clock, plan):
    """S3.3/S3.4: breached on top, then the most serious; each with its level's colour and a
    countdown to its deadline; counts per level."""
    late = report(db, clock, kind="complaint", area="A1")  # L3, 30 minutes
    clock.advance(minutes=31)
    with db.transaction() as s:
        deadlines.tick(s, clock.now())
    serious = report(db, clock, kind="backlog", area="A2", count=25)  # L2
    login(client, make_user(db, clock, "leader"))
    page = client.get("/war-room").text
    ids = [int(i) for i in re.findall(r'class="incident [^"]*" style="[^"]*" data-id="(\d+)"', page)]
    assert ids == [late, serious]
    assert page.count("已超时") == 1  # only the breached one carries the tag
    assert plan.levels["L2"].colour in page and plan.levels["L3"].colour in page
    assert re.search(r'data-level="L2">\s*<span class="n">1</span>', page)
    assert 'data-deadline="' in page and 'hx-trigger="every 3s"' in page
    live = client.get("/war-room/live").text
    assert "<html" not in live and f'data-id="{serious}"' in live


def test_the_parcels_chart_counts_per_area_against_the_plan(client, db, clock):
    """S3.3: backlog, lost and interrupted parcels per area, from the incidents the detectors
    keep current, with the Level 2 thresholds; a resolved incident drops out."""
    login(client, make_user(db, clock, "viewer"))
    assert "暂无快件积压、丢失或转运中断。" in client.get("/war-room/live").text
    report(db, clock, kind="backlog", area="FZ-01", count=25)
    report(db, clock, kind="lost", area="XM-02", count=3)
    report(db, clock, kind="complaint", area="HZ-09")
    chart = client.get("/war-room/live").text.split('id="chart-parcels"')[1].split("</figure>")[0]
    assert "<title>FZ-01 快件积压：25</title>" in chart and "<title>XM-02 快件丢失：3</title>" in chart
    assert "HZ-09" not in chart  # a complaint is not counted in parcels
    assert "快件积压 ≥ 20" in chart and "快件丢失 ≥ 5" in chart and "转运中断 ≥ 100" in chart
    assert chart.index(">FZ-01<") < chart.index(">XM-02<")  # the biggest area first


def test_the_live_fragment_shows_a_new_incident(client, db, clock):
    login(client, make_user(db, clock, "viewer"))
    assert "data-id=" not in client.get("/war-room/live").text
    new = report(db, clock, kind="lost", area="XM-09", count=5)
    assert f'data-id="{new}"' in client.get("/war-room/live").text


def test_incident_actions_from_acknowledge_to_close(client, db, clock):
    """S3.4-S3.7 on the page: acknowledge, note, level with reason, step, resolve, review,
    measure, close; each refused input names the reason in Chinese and changes nothing."""
    incident_id = report(db, clock, kind="backlog", area="FZ-01", count=25)
    token = login(client, make_user(db, clock, "leader"))
    base = f"/incidents/{incident_id}"

    def post(action: str, **data: str) -> str:
        r = client.post(base + action, data={"csrf_token": token, **data})
        assert r.status_code == 200
        return r.text

    assert "已确认接手" in post("/ack")
    assert "状态为已接手，只有待处理的事件才能确认" in post("/ack")  # the refusal, in Chinese
    assert "备注已添加" in post("/note", text="两辆车已出发")
    assert "人工调整级别必须填写原因" in post("/level", level="L1", reason=" ")
    with db.transaction() as s:
        assert s.get(Incident, incident_id).level == "L2"
    assert "级别调整" in post("/level", level="L1", reason="积压扩大")
    with db.transaction() as s:
        incident = s.get(Incident, incident_id)
        assert incident.level == "L1"
        step_id = incident.steps[0].id
    assert "请说明跳过该步骤的原因" in post(f"/steps/{step_id}", state="skipped", note="")
    assert "步骤已保存" in post(f"/steps/{step_id}", state="done", note="")
    assert "处理完毕需要填写处理结果报告" in post("/resolve", result="")
    page = post("/resolve", result="积压已清")
    assert "下载事后总结 PDF" in page
    assert "事后总结需要填写根本原因" in post("/review", root_cause=" ")
    assert "总结已保存" in post(
        "/review",
        root_cause="分拣线故障",
        accountable_type="outlet",
        accountable_name="FZ-01",
        penalty_step="correction",
    )
    assert "日期格式如 2026-12-01" in post("/measures", description="备用分拣线", owner="赵", due_date="soon")
    assert "措施已添加" in post("/measures", description="备用分拣线", owner="赵", due_date="2026-12-01")
    with db.transaction() as s:
        measure_id = s.get(Incident, incident_id).measures[0].id
    assert "措施已完成" in post(f"/measures/{measure_id}/done")
    assert "已关闭" in post("/close")
    with db.transaction() as s:
        assert s.get(Incident, incident_id).status == "closed"
    pdf = client.get(f"/api/v1/incidents/{incident_id}/review.pdf?lang=zh_CN")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_timeline_reads_in_chinese(client, db, clock):
    incident_id = report(db, clock, kind="lost", area="XM-03", count=2)
    report(db, clock, kind="lost", area="XM-03", count=3)  # 5 lost: raised to L2
    login(client, make_user(db, clock, "leader"))
    page = client.get(f"/incidents/{incident_id}").text
    timeline = page.split('class="timeline"')[1]
    assert "级别升级" in timeline and "数量现为 5" in timeline and "立案" in timeline
    assert " in XM-03" not in timeline and "count 2 -> 5" not in timeline


def test_the_incident_head_follows_changes_made_elsewhere(client, db, clock):
    """The polled head shows a level raised by a new report (S3.3) without a reload."""
    incident_id = report(db, clock, kind="lost", area="XM-05", count=1)
    login(client, make_user(db, clock, "viewer"))
    assert f'hx-get="/incidents/{incident_id}/head"' in client.get(f"/incidents/{incident_id}").text
    assert "三级（一般）" in client.get(f"/incidents/{incident_id}/head").text
    report(db, clock, kind="lost", area="XM-05", count=4)
    head = client.get(f"/incidents/{incident_id}/head").text
    assert "二级（较严重）" in head and "<html" not in head


def test_the_incident_page_names_what_the_detector_found(client, db, clock):
    """An incident the monitor opened lists the parcel ids behind it (the first ten, and how many)."""
    with db.transaction() as s:
        incident_id = reporting.report(
            s,
            ADMIN,
            clock.now(),
            kind="lost",
            area="XM-07",
            count=12,
            source="detector",
            details={"ids": [f"P{n}" for n in range(12)], "ids_total": 12},
        ).incident.id
    login(client, make_user(db, clock, "viewer"))
    head = client.get(f"/incidents/{incident_id}/head").text
    assert (
        "检测发现" in head and "P0, P1" in head and "P9" in head and "P10" not in head and "共 12 个" in head
    )


def test_an_unknown_incident_is_a_404_page(client, db, clock):
    login(client, make_user(db, clock, "leader"))
    r = client.get("/incidents/999")
    assert r.status_code == 404 and "未找到" in r.text and "<html" in r.text
