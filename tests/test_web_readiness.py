"""The readiness page (issue 6, S1): fill the checklist, tick an item with an evidence file,
set an owner, start a drill, read the timeline; quick replies on the incident page; a viewer
reads without forms."""

from __future__ import annotations

import re

from peakguard.monitor.live import detection_job
from peakguard.roster import service as roster
from tests.factories import ADMIN, csrf_of, login, make_user, report


def test_a_member_prepares_and_drills_from_the_page(client, db, clock, plan):
    with db.transaction() as s:
        li = roster.add_person(s, ADMIN, clock.now(), plan, name="李明", role="member").id
    token = login(client, make_user(db, clock, "member"))
    empty = client.get("/readiness").text
    assert "按预案生成检查清单" in empty
    client.post("/readiness/init", data={"csrf_token": token})
    page = client.get("/readiness").text
    assert page.count('class="score-row"') == 7 and "S1.7" in page and "制作系统镜像" in page
    item = re.search(r'id="item-(\d+)"[^>]*>\s*<span class="text">制作系统镜像', page)
    assert item
    item_id = int(item.group(1))
    client.post(
        f"/readiness/items/{item_id}/done",
        data={"csrf_token": token, "note": "镜像在 D 盘"},
        files={"evidence": ("image.txt", b"D:/win.gho", "text/plain")},
    )
    client.post(f"/readiness/items/{item_id}/assign", data={"csrf_token": token, "person_id": str(li)})
    page = client.get("/readiness").text
    assert f'/api/v1/readiness/items/{item_id}/evidence">image.txt' in page and "镜像在 D 盘" in page
    assert "李明" in page
    assert client.get(f"/api/v1/readiness/items/{item_id}/evidence").content == b"D:/win.gho"
    again = client.post(f"/readiness/items/{item_id}/done", data={"csrf_token": token, "note": "again"})
    assert 'class="flash error"' in again.text  # refused with the reason, and nothing changed:
    assert '<div class="quiet">again</div>' not in again.text and "镜像在 D 盘" in again.text

    client.post("/readiness/drills", data={"csrf_token": token, "scenario": "lost"})
    detection_job(db, clock.now())
    page = client.get("/readiness").text
    assert re.search(r'<a href="/incidents/\d+">#\d+</a>', page), "the drill links its incident"
    assert "00:00" in page and "主推商品爆发" in page


def test_an_incident_page_offers_the_replies_for_its_kind(client, db, clock):
    incident_id = report(db, clock, kind="backlog", area="FZ-01", count=25)
    login(client, make_user(db, clock, "member"))
    page = client.get(f"/incidents/{incident_id}").text
    assert "快递延迟安抚" in page and 'data-copy="reply-delayed_parcels"' in page
    other = report(db, clock, kind="fire", area="HQ")
    assert "data-copy" not in client.get(f"/incidents/{other}").text


def test_a_viewer_sees_the_scores_without_forms(client, db, clock):
    login(client, make_user(db, clock, "viewer"))
    page = client.get("/readiness").text
    assert "各风险准备进度" in page and "csrf_token" not in page.split("<main", 1)[1]
    token = csrf_of(client.get("/account").text)
    refused = client.post(
        "/readiness/drills", data={"csrf_token": token, "scenario": "lost"}, follow_redirects=False
    )
    assert refused.status_code == 403
