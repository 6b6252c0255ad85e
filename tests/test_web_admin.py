"""Admin pages (issue 5): the plan as the war room reads it (S3.3-S3.5), the roster (S3.4), users
and API tokens; and API error messages in the caller's language with code and field unchanged."""

from __future__ import annotations

import re

from peakguard.auth import service as auth
from peakguard.roster import service as roster
from tests.factories import login, make_user


def test_the_plan_page_shows_levels_deadlines_chains_and_playbooks(client, db, clock, plan):
    login(client, make_user(db, clock, "viewer"))
    page = client.get("/admin/plan").text
    for level in plan.levels.values():
        assert level.name.zh_CN in page and level.colour in page
    assert "30 分钟" in page and "1440 分钟" in page
    assert "≥ 20" in page  # S3.3: a backlog of 20 or more parcels is level 2
    assert plan.playbooks["backlog"][0].zh_CN in page


def test_the_roster_page_adds_people_and_switches_duty(client, db, clock):
    token = login(client, make_user(db, clock, "leader"))
    r = client.post("/admin/roster", data={"csrf_token": token, "name": "孙", "role": "nobody"})
    assert "nobody" in r.text and "已加入值班表" not in r.text
    r = client.post(
        "/admin/roster",
        data={"csrf_token": token, "name": "孙", "role": "member", "channels": "mailto://sun@example.com"},
    )
    assert "已加入值班表" in r.text and "mailto://sun@example.com" in r.text
    with db.transaction() as s:
        person = roster.list_people(s)[0]
    r = client.post(f"/admin/roster/{person.id}/duty", data={"csrf_token": token, "on_duty": "0"})
    with db.transaction() as s:
        assert roster.get_person(s, person.id).on_duty is False


def test_a_viewer_sees_the_roster_but_cannot_change_it(client, db, clock):
    token = login(client, make_user(db, clock, "viewer"))
    assert "添加人员" not in client.get("/admin/roster").text
    r = client.post("/admin/roster", data={"csrf_token": token, "name": "孙", "role": "member"})
    assert r.status_code == 403


def test_users_tokens_shown_once_and_revoked(client, db, clock):
    token = login(client, make_user(db, clock, "admin"))
    r = client.post(
        "/admin/users",
        data={"csrf_token": token, "username": "qian", "password": "short", "role": "member"},
    )
    assert "至少 10 个字符" in r.text
    r = client.post(
        "/admin/users",
        data={"csrf_token": token, "username": "qian", "password": "long-enough", "role": "member"},
    )
    assert "用户已创建" in r.text
    r = client.post("/admin/users/qian/tokens", data={"csrf_token": token, "name": "scanner"})
    clear = re.search(r'<code id="new-token">(pg_[^<]+)</code>', r.text).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}).json()["username"] == "qian"
    assert clear not in client.get("/admin/users").text
    with db.transaction() as s:
        token_id = auth.get_user(s, "qian").tokens[0].id
    client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}).status_code == 401


def test_a_client_user_needs_a_client_number(client, db, clock):
    token = login(client, make_user(db, clock, "admin"))
    data = {"csrf_token": token, "username": "shop", "password": "long-enough", "role": "client"}
    assert "客户角色的用户必须属于一个仓储客户" in client.post("/admin/users", data=data).text
    assert "必须是整数" in client.post("/admin/users", data={**data, "client_id": "x"}).text


def test_api_errors_follow_accept_language_and_keep_code_and_field(client, headers_for):
    headers = headers_for("leader")
    body = {"kind": "lost", "area": " "}
    zh = client.post("/api/v1/incidents", json=body, headers={**headers, "Accept-Language": "zh-CN,zh;q=0.9"})
    en = client.post("/api/v1/incidents", json=body, headers={**headers, "Accept-Language": "en-US"})
    plain = client.post("/api/v1/incidents", json=body, headers=headers)
    assert zh.status_code == en.status_code == plain.status_code == 422
    assert zh.json()["error"] == {
        "code": "invalid",
        "field": "area",
        "message": "区域：请填写派送区域、网点、场所或店铺",
        "message_id": "name the delivery area, outlet, site or shop",
        "params": {},
    }
    assert (
        en.json()["error"]["message"]
        == plain.json()["error"]["message"]
        == ("area: name the delivery area, outlet, site or shop")
    )
    r = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"})
    assert r.json()["error"] == {
        "code": "unauthorized",
        "field": None,
        "message": "需要访问令牌或已登录的会话",
        "message_id": "a bearer token or a logged-in session is required",
        "params": {},
    }


def test_api_errors_follow_the_sessions_language(client, db, clock):
    """A page's own fetches to the API (session cookie) read errors in the page language."""
    from tests.factories import report

    incident_id = report(db, clock)
    csrf = login(client, make_user(db, clock, "leader"))
    r = client.post(
        f"/api/v1/incidents/{incident_id}/notes", json={"text": " "}, headers={"X-CSRF-Token": csrf}
    )
    assert r.json()["error"] == {
        "code": "invalid",
        "field": "text",
        "message": "内容：备注不能为空",
        "message_id": "a note must not be empty",
        "params": {},
    }
