"""Readiness over the API and the CLI (issue 6, S1): evidence upload and download, scores,
roles, the timeline and quick replies; and `peakguard drill` against a real running server
whose live detector opens the drill's incident."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from tests.test_restart import cli, start_server, wait_for


def test_checklist_with_an_evidence_file_and_scores(client, headers_for):
    member = headers_for("member")
    added = client.post("/api/v1/readiness/items/init", headers=member)
    assert added.status_code == 201 and len(added.json()) > 7
    item = next(i for i in added.json() if i["template"] == "computers.system_image")
    bad = client.post(f"/api/v1/readiness/items/{item['id']}/done", headers=member, data={"note": ""})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "evidence"
    done = client.post(
        f"/api/v1/readiness/items/{item['id']}/done",
        headers=member,
        data={"note": "镜像在 D 盘"},
        files={"evidence": ("镜像.txt", b"D:/backup/win.gho", "text/plain")},
    )
    assert done.status_code == 200 and done.json()["evidence_file"] == "镜像.txt"
    file = client.get(f"/api/v1/readiness/items/{item['id']}/evidence", headers=member)
    assert file.content == b"D:/backup/win.gho"
    scores = client.get("/api/v1/readiness/scores?lang=en", headers=member).json()
    computers = next(r for r in scores["risks"] if r["risk"] == "computers")
    assert (computers["done"], computers["total"], computers["section"]) == (1, 3, "S1.1")
    assert scores["done"] == 1 and scores["overdue"] > 0  # the clock is on the day: earlier items are late


def test_a_viewer_reads_but_cannot_tick(client, headers_for):
    client.post("/api/v1/readiness/items/init", headers=headers_for("member"))
    viewer = headers_for("viewer")
    items = client.get("/api/v1/readiness/items", headers=viewer).json()
    refused = client.post(
        f"/api/v1/readiness/items/{items[0]['id']}/done", headers=viewer, data={"note": "x"}
    )
    assert refused.status_code == 403
    assert (
        client.post("/api/v1/readiness/drills", headers=viewer, json={"scenario": "theft"}).status_code == 403
    )
    assert client.get("/api/v1/readiness/items").status_code == 401


def test_timeline_and_quick_replies_in_both_languages(client, headers_for):
    member = headers_for("member")
    points = client.get("/api/v1/readiness/timeline?lang=en", headers=member).json()
    assert [p["at"] for p in points] == ["00:00", "09:00", "15:00", "20:00", "23:00"]
    assert "unpaid orders" in points[-1]["text"]
    zh = client.get("/api/v1/readiness/quick-replies?kind=coupon_failure", headers=member).json()
    assert zh[0]["key"] == "coupon_compensation" and "返现" in zh[0]["text"]


def test_an_added_item_needs_a_known_risk(client, headers_for):
    body = {
        "risk": "meteor",
        "text_zh": "准备",
        "text_en": "Prepare",
        "owner_role": "member",
        "due_at": "2026-11-10T00:00:00+08:00",
    }
    bad = client.post("/api/v1/readiness/items", headers=headers_for("member"), json=body)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "risk"
    ok = client.post("/api/v1/readiness/items", headers=headers_for("member"), json={**body, "risk": "power"})
    assert ok.status_code == 201 and ok.json()["template"] is None


def test_drill_against_a_running_server(tmp_path):
    """`peakguard drill --url` injects the fault; the server's own detector opens the incident;
    acknowledging and resolving it through the API gives the drill its times and outcome."""
    env = {
        **os.environ,
        "PEAKGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'drill.db'}",
        "COLUMNS": "200",
    }
    cli(env, "user", "add", "lead", "--role", "leader", "--password", "long-password")
    token = cli(env, "token", "create", "lead").stdout.strip()
    proc, url = start_server(env)
    try:
        out = cli(env, "drill", "--scenario", "theft", "--url", url, "--token", token)
        drill = json.loads(out.stdout)
        assert drill["scope"].startswith("DRILL-") and drill["kind"] == "robbery_theft"
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

        def incident_id() -> int | None:
            answer = api.get(f"/api/v1/readiness/drills/{drill['id']}")
            if answer.status_code == 503:  # the database was busy: the answer says to retry
                return None
            assert answer.status_code == 200, answer.text
            return answer.json()["incident_id"]

        wait_for(lambda: incident_id() is not None, "the live detector to open the drill's incident")
        number = incident_id()
        assert api.post(f"/api/v1/incidents/{number}/ack").status_code == 200
        resolved = api.post(
            f"/api/v1/incidents/{number}/resolve", json={"result": "drill: police called, parcels traced"}
        )
        assert resolved.status_code == 200
        result = api.get(f"/api/v1/readiness/drills/{drill['id']}").json()
        assert result["acknowledged_seconds"] is not None and result["resolved_seconds"] is not None
        assert result["outcome"] == "met" and result["deadline_minutes"] == 720
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    bad = subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "drill", "--scenario", "meteor"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "scenario" in bad.stderr
