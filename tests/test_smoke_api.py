"""Smoke test of the API wiring: a token opens an incident (S3.3), no token gets 401."""


def test_open_incident_over_api(client, headers_for):
    h = headers_for("member")
    r = client.post("/api/v1/incidents", json={"kind": "backlog", "area": "FZ-01", "count": 25}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["level"] == "L2"
    assert client.get("/api/v1/incidents").status_code == 401
