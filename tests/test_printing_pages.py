"""Printing from the pages and the API (S1.6): the pack page's print button queues the waybill
once however often it is pressed, the printers page shows health in colour and switches a
printer out of use, and the API is for roles that print only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from peakguard.printing.models import Printer, PrintJob
from tests.factories import login, make_user
from tests.test_printing import cups_queue  # noqa: F401  (fixture)
from tests.test_web_warehouse import HX, answer, wh  # noqa: F401  (fixture)
from tests.web_warehouse_setup import EAN


def pack(client, token: str, built) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/scan/pick?wave={built.wave}").text
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    for _ in range(3):
        client.post(
            f"/scan/pick/{built.wave}",
            data={"csrf_token": token, "task_id": task_id, "location": "A-01-1", "code": EAN},
            headers=HX,
        )
    packed = client.post(
        f"/scan/pack/{built.order}", data={"csrf_token": token, "weight_kg": "1.2"}, headers=HX
    )
    assert "打印面单" in packed.text


def test_the_pack_page_prints_the_waybill_once(client, db, clock, wh):  # noqa: F811
    token = login(client, make_user(db, clock, "warehouse"))
    pack(client, token, wh)
    first = client.post(f"/scan/pack/{wh.order}/print", data={"csrf_token": token}, headers=HX).text
    # issue 16: with no printer set up the page says so plainly, never "sent"
    assert answer(first) == ("wrong", "没有设置打印机：面单在队列中等待（任务 1）。")
    again = client.post(f"/scan/pack/{wh.order}/print", data={"csrf_token": token}, headers=HX).text
    assert answer(again) == ("wrong", "没有设置打印机：面单在队列中等待（任务 1）。")
    with db.transaction() as s:
        s.add(Printer(queue="pack-1", name="打包线 1", enabled=True, healthy=False))
    again = client.post(f"/scan/pack/{wh.order}/print", data={"csrf_token": token}, headers=HX).text
    assert answer(again) == ("wrong", "现在没有可用的打印机：面单在队列中等待（任务 1）。")
    with db.transaction() as s:
        s.scalars(select(Printer)).one().healthy = True
    again = client.post(f"/scan/pack/{wh.order}/print", data={"csrf_token": token}, headers=HX).text
    assert answer(again) == ("right", "已在队列中：任务 1，排队中")
    with db.transaction() as s:
        (job,) = s.scalars(select(PrintJob)).all()
        assert job.document == f"waybill:{wh.order}" and job.data.startswith(b"%PDF")


def test_printing_an_unpacked_order_says_why(client, db, clock, wh):  # noqa: F811
    token = login(client, make_user(db, clock, "warehouse"))
    kind, text = answer(
        client.post(f"/scan/pack/{wh.order}/print", data={"csrf_token": token}, headers=HX).text
    )
    assert kind == "wrong" and "T-1001" in text
    with db.transaction() as s:
        assert s.scalars(select(PrintJob)).all() == []


def test_the_printers_page_refuses_a_queue_cups_does_not_have(client, db, clock):
    token = login(client, make_user(db, clock, "member"))
    page = client.post(
        "/admin/printers", data={"csrf_token": token, "queue": "pg-no-such-queue", "name": "打包线 9"}
    ).text
    assert "CUPS" in page and "打包线 9" not in page  # refused: no queue, or no CUPS to ask
    with db.transaction() as s:
        assert s.scalars(select(Printer)).all() == []


def test_the_printers_page_adds_and_switches_a_printer(client, db, clock, cups_queue):  # noqa: F811
    real = cups_queue("p")
    token = login(client, make_user(db, clock, "member"))
    page = client.get("/admin/printers").text
    assert "还没有打印机" in page
    client.post("/admin/printers", data={"csrf_token": token, "queue": real.name, "name": "打包线 1"})
    client.post("/admin/printers", data={"csrf_token": token, "queue": "bad queue"})
    page = client.get("/admin/printers").text
    assert "打包线 1" in page and "尚未检查" in page and "queue" in page
    with db.transaction() as s:
        (printer,) = s.scalars(select(Printer)).all()
    client.post(f"/admin/printers/{printer.id}/switch", data={"csrf_token": token, "enabled": "false"})
    page = client.get("/admin/printers").text
    assert 'class="tag printer off"' in page and "启用" in page
    with db.transaction() as s:
        assert not s.get(Printer, printer.id).enabled


@pytest.mark.parametrize("role", ["viewer", "client"])
def test_roles_that_do_not_print_cannot_open_the_page_or_the_api(client, db, clock, headers_for, wh, role):  # noqa: F811
    shop = wh.shop_a if role == "client" else None
    login(client, make_user(db, clock, role, client_id=shop))
    assert client.get("/admin/printers").status_code in (403, 404)
    assert client.get("/api/v1/printing/jobs", headers=headers_for(role, client_id=shop)).status_code == 403
    client.cookies.clear()
    assert client.get("/api/v1/printing/jobs").status_code == 401


def test_the_api_queues_a_label_once_and_shows_its_trail(client, db, clock, headers_for, wh):  # noqa: F811
    h = headers_for("warehouse")
    r = client.post("/api/v1/printing/printers", json={"queue": "pg-no-such-queue"}, headers=h)
    assert r.status_code in (409, 422) and r.json()["error"]["field"] == "queue"  # issue 16
    r = client.post("/api/v1/printing/printers", json={"queue": "a b"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "queue"
    first = client.post("/api/v1/printing/jobs", json={"document": "pallet", "id": 1}, headers=h)
    assert first.status_code == 201 and first.json()["status"] == "queued"
    again = client.post("/api/v1/printing/jobs", json={"document": "pallet", "id": 1}, headers=h)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    reprint = client.post(
        "/api/v1/printing/jobs", json={"document": "pallet", "id": 1, "reprint": True}, headers=h
    )
    assert reprint.status_code == 201 and reprint.json()["id"] != first.json()["id"]
    bad = client.post("/api/v1/printing/jobs", json={"document": "poster", "id": 1}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "document"
    missing = client.post("/api/v1/printing/jobs", json={"document": "waybill", "id": 999}, headers=h)
    assert missing.status_code == 404
    detail = client.get(f"/api/v1/printing/jobs/{first.json()['id']}", headers=h).json()
    assert detail["document"] == "pallet:1" and detail["attempts"] == []
    assert [j["id"] for j in client.get("/api/v1/printing/jobs?status=queued", headers=h).json()] == [
        reprint.json()["id"],
        first.json()["id"],
    ]
    cancelled = client.post(f"/api/v1/printing/jobs/{first.json()['id']}/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
