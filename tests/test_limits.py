"""Input the database cannot store is refused at the schema with a 422 naming the field, never a
500 and never half-written (issue 13 items 4 and 10; S3.3 reports, S2 warehouse records): ids
beyond the id columns, quantities beyond any real one, strings longer than their column, free
JSON nested too deep, and control characters (NUL first: PostgreSQL text cannot hold it) in any
user text."""

from __future__ import annotations

import pytest

from peakguard.incidents.models import Incident
from peakguard.warehouse.models import Client, Sku
from tests.factories import count

BEYOND_POSTGRESQL = 2**31
BEYOND_SQLITE = 2**63


def refused(r, field: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == field, error


@pytest.fixture
def admin(headers_for):  # type: ignore[no-untyped-def]
    return headers_for("admin")


@pytest.mark.parametrize("big", [BEYOND_POSTGRESQL, BEYOND_SQLITE])
def test_ids_beyond_the_id_columns_are_422_in_paths_queries_and_bodies(client, admin, big):
    refused(client.get(f"/api/v1/incidents/{big}", headers=admin), "incident_id")
    refused(client.post(f"/api/v1/incidents/{big}/notes", json={"text": "x"}, headers=admin), "incident_id")
    refused(client.get(f"/api/v1/warehouse/skus?client_id={big}", headers=admin), "client_id")
    refused(
        client.post("/api/v1/warehouse/waves", json={"order_ids": [1, big]}, headers=admin), "order_ids.1"
    )
    body = {"client_id": big, "code": "S1", "name": "Socks"}
    refused(client.post("/api/v1/warehouse/skus", json=body, headers=admin), "client_id")


def _client_id(client, admin) -> int:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/warehouse/clients", json={"code": "ACME", "name": "Acme"}, headers=admin)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_quantities_beyond_any_real_one_are_422(client, admin, db):
    client_id = _client_id(client, admin)
    order = {
        "client_id": client_id,
        "ref": "R1",
        "carrier": "sf",
        "lines": [{"sku": "S1", "quantity": 3_000_000_000}],
    }
    refused(client.post("/api/v1/warehouse/orders", json=order, headers=admin), "lines.0.quantity")
    scan = {"location": "A-01-1", "barcode": "123", "quantity": 3e9}
    refused(client.post("/api/v1/warehouse/tasks/1/scan", json=scan, headers=admin), "quantity")
    report = {"kind": "delay", "area": "FZ-01", "count": 3_000_000_000}
    refused(client.post("/api/v1/incidents", json=report, headers=admin), "count")
    assert count(db, Incident) == 0


def test_strings_longer_than_their_column_are_422(client, admin, db):
    refused(
        client.post("/api/v1/warehouse/clients", json={"code": "C1", "name": "n" * 121}, headers=admin),
        "name",
    )
    refused(
        client.post("/api/v1/warehouse/clients", json={"code": "c" * 33, "name": "ok"}, headers=admin),
        "code",
    )
    client_id = _client_id(client, admin)
    refused(
        client.post(
            "/api/v1/warehouse/skus",
            json={"client_id": client_id, "code": "S1", "name": "n" * 201},
            headers=admin,
        ),
        "name",
    )
    assert count(db, Client) == 1 and count(db, Sku) == 0
    ok = client.post("/api/v1/warehouse/clients", json={"code": "C2", "name": "名" * 120}, headers=admin)
    assert ok.status_code == 201, ok.text


def test_free_json_nested_too_deep_or_too_large_is_422(client, admin, db):
    deep: dict = {}
    inner = deep
    for _ in range(500):
        inner["x"] = {}
        inner = inner["x"]
    report = {"kind": "delay", "area": "FZ-01", "details": deep}
    refused(client.post("/api/v1/incidents", json=report, headers=admin), "details")
    report = {"kind": "delay", "area": "FZ-01", "details": {"blob": "b" * 20_000}}
    refused(client.post("/api/v1/incidents", json=report, headers=admin), "details")
    assert count(db, Incident) == 0
    fine = {"kind": "delay", "area": "FZ-01", "details": {"a": {"b": [1, 2, {"c": "d"}]}}}
    assert client.post("/api/v1/incidents", json=fine, headers=admin).status_code == 201


@pytest.mark.parametrize(
    "field, value",
    [
        ("area", "FZ\u000001"),
        ("summary", "fine\u0000then NUL"),
        ("summary", "bell\u0007"),
        ("area", "two\nlines"),
        ("kind", "de\u0000lay"),
    ],
)
def test_control_characters_in_incident_text_are_422_naming_the_field(client, admin, db, field, value):
    report = {"kind": "delay", "area": "FZ-01", field: value}
    refused(client.post("/api/v1/incidents", json=report, headers=admin), field)
    assert count(db, Incident) == 0


def test_free_text_keeps_tab_and_newline(client, admin):
    report = {"kind": "delay", "area": "FZ-01", "summary": "line one\n\tline two"}
    r = client.post("/api/v1/incidents", json=report, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["summary"] == "line one\n\tline two"


def test_control_characters_anywhere_in_user_text_are_422(client, admin, db):
    client_id = _client_id(client, admin)
    sku = {"client_id": client_id, "code": "S1", "name": "So\u0000cks"}
    refused(client.post("/api/v1/warehouse/skus", json=sku, headers=admin), "name")
    note = client.post("/api/v1/incidents", json={"kind": "delay", "area": "FZ-01"}, headers=admin)
    incident_id = note.json()["id"]
    refused(
        client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "a\u0000b"}, headers=admin),
        "text",
    )
    details = {"kind": "delay", "area": "FZ-02", "details": {"k\u0000": "v"}}
    refused(client.post("/api/v1/incidents", json=details, headers=admin), "details")
    details = {"kind": "delay", "area": "FZ-02", "details": {"k": ["v\u0000"]}}
    refused(client.post("/api/v1/incidents", json=details, headers=admin), "details")
    refused(client.get("/api/v1/incidents?area=F%00Z", headers=admin), "area")
    assert count(db, Sku) == 0 and count(db, Incident) == 1


def test_page_forms_refuse_what_their_columns_cannot_hold_with_an_error_page(app, db, clock):
    """The pages' forms feed the same tables: a username longer than its column (a 500 on
    PostgreSQL before) or a NUL in a login or a note is a 422 error page naming the field."""
    from fastapi.testclient import TestClient

    from tests.factories import csrf_of, login, make_user

    with TestClient(app) as web:
        token = csrf_of(web.get("/login").text)
        r = web.post("/login", data={"username": "ad\u0000min", "password": "x", "csrf_token": token})
        assert r.status_code == 422 and "用户名：不能包含控制字符" in r.text
        csrf = login(web, make_user(db, clock, "admin"))
        form = {"username": "u" * 81, "password": "a-long-password", "role": "member", "csrf_token": csrf}
        r = web.post("/admin/users", data=form)
        assert r.status_code == 422, r.text[:300]
        assert r.headers["content-type"].startswith("text/html") and "用户名：最多 80 个字符" in r.text
        incident = web.app.state.db  # the app's database: report one to note on
        from peakguard.incidents import reporting
        from tests.factories import ADMIN

        with incident.transaction() as s:
            incident_id = reporting.report(s, ADMIN, clock.now(), kind="delay", area="FZ-01").incident.id
        r = web.post(f"/incidents/{incident_id}/note", data={"text": "a\u0000b", "csrf_token": csrf})
        assert r.status_code == 422 and "内容：不能包含控制字符" in r.text


def test_no_form_field_loses_its_limit():
    """FastAPI keeps a limit type's checks for a form field only when ``Form()`` sits inside the
    ``Annotated`` (``x: Annotated[str, Line(40), Form()] = ""``); beside a ``Form("")`` default
    the limit is silently dropped, so a form would take what its column cannot hold."""
    import re
    from pathlib import Path

    import peakguard

    limited = re.compile(r"\b(FormText|Id|Term|Quantity|Line\(|Text\()[^=]*= Form\(")
    offenders = [
        f"{path}:{number}"
        for path in Path(peakguard.__file__).parent.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if limited.search(line)
    ]
    assert not offenders, offenders
