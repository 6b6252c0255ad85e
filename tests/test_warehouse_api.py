"""The warehouse over HTTP (S2.1-S2.11): every route needs a token; operators run the floor;
a client user reaches only its own rows and gets 404, never 403 and never the other client's
data, for another client's objects in every route family it can reach."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing, carriers, inbound, leases, outbound, picking, skus
from tests.factories import ADMIN, EAN, OPERATOR, UPC, setup_warehouse

API = "/api/v1/warehouse"


def _stocked_client(db: Database, clock: FrozenClock, plan: Plan) -> dict[str, Any]:
    """Client A with a lease, a SKU, stock, a packed order and an invoice; client B empty-handed."""
    from datetime import UTC, datetime

    cid, shop = setup_warehouse(db, clock, plan)
    now = clock.now()
    with db.transaction() as s:
        lease = leases.create_lease(
            s, ADMIN, now, plan, client_id=cid, area_m2="30", daily_rate="2", start=date(2026, 11, 1)
        )
        sku = skus.create_sku(s, shop, now, client_id=cid, code="A", name="A", barcode=EAN)
        plan_in = inbound.create_plan(s, shop, now, client_id=cid, lines=[inbound.PlanLineIn("A", 4)])
        inbound.receive(s, OPERATOR, now, plan_id=plan_in.id, barcode=EAN, quantity=4)
        pallet = inbound.palletize(s, OPERATOR, now, client_id=cid, items=[inbound.PalletItem("A", 4)])
        inbound.putaway(s, OPERATOR, now, pallet_id=pallet.id, location_code="A-01-1")
        order = outbound.create_order(
            s, shop, now, plan, client_id=cid, ref="A-1", carrier="sf", lines=[outbound.OrderLineIn("A", 1)]
        )
        outbound.allocate(s, OPERATOR, now, order.id)
        wave = outbound.create_wave(s, OPERATOR, now)
        task = picking.next_task(s, wave.id)
        assert task is not None
        picking.scan_confirm(s, OPERATOR, now, task.id, task.location, task.barcode)
        picking.pack(s, OPERATOR, now, plan, order.id, weight_kg="1")
        invoice = billing.issue_invoice(
            s, ADMIN, datetime(2026, 12, 2, tzinfo=UTC), plan, client_id=cid, month="2026-11"
        )
        return {
            "client": cid,
            "lease": lease.id,
            "sku": sku.id,
            "inbound": plan_in.id,
            "order": order.id,
            "invoice": invoice.id,
            "pallet": pallet.id,
        }


def test_client_gets_404_for_another_clients_objects(
    client: TestClient, db: Database, clock: FrozenClock, plan: Plan, headers_for: Any
) -> None:
    """S2.3, S2.8: client B cannot see or touch client A's goods, orders, invoices, leases."""
    a = _stocked_client(db, clock, plan)
    b = client.post(
        f"{API}/clients", json={"code": "shop-b", "name": "B"}, headers=headers_for("admin")
    ).json()
    mine = headers_for("client", client_id=a["client"])
    other = headers_for("client", client_id=b["id"])

    for path in (
        f"/clients/{a['client']}",
        f"/skus/{a['sku']}",
        f"/inbound/{a['inbound']}",
        f"/orders/{a['order']}",
        f"/orders/{a['order']}/waybill",
        f"/invoices/{a['invoice']}",
        f"/invoices/{a['invoice']}/export?format=pdf",
        f"/stock?client_id={a['client']}",
        f"/stock/export?client_id={a['client']}",
        f"/skus?client_id={a['client']}",
        f"/orders?client_id={a['client']}",
        f"/invoices?client_id={a['client']}",
        f"/leases?client_id={a['client']}",
        f"/inbound?client_id={a['client']}",
    ):
        assert client.get(API + path, headers=mine).status_code == 200, path
        answer = client.get(API + path, headers=other)
        assert answer.status_code == 404, (path, answer.status_code)
        assert "shop-a" not in answer.text and EAN not in answer.text

    # Writes on A's behalf are refused the same way.
    for path, body in (
        ("/skus", {"client_id": a["client"], "code": "Z", "name": "Z"}),
        (
            "/orders",
            {"client_id": a["client"], "ref": "X", "carrier": "sf", "lines": [{"sku": "A", "quantity": 1}]},
        ),
        ("/inbound", {"client_id": a["client"], "lines": [{"sku": "A", "expected": 1}]}),
    ):
        assert client.post(API + path, json=body, headers=other).status_code == 404, path

    # Lists without a filter show B only its own (nothing), A its own.
    for path in ("/stock", "/skus", "/orders", "/invoices", "/leases", "/inbound", "/clients"):
        rows = client.get(API + path, headers=other).json()
        assert all(r.get("client_id", r.get("id")) == b["id"] for r in rows), path
    rows = client.get(f"{API}/stock", headers=mine).json()
    assert sorted((r["sku"], r["place"].split(":")[0], r["on_hand"]) for r in rows) == [
        ("A", "loc", 3),
        ("A", "out", 1),
    ]

    # Bays: A's dedicated bay opens for A (and is logged), is missing for B (S2.3).
    bay = client.get(f"{API}/bays", headers=headers_for("warehouse")).json()[0]
    assert bay["kind"] == "dedicated"
    assert client.post(f"{API}/bays/{bay['id']}/open", headers=mine).status_code == 201
    assert client.post(f"{API}/bays/{bay['id']}/open", headers=other).status_code == 404
    assert len(client.get(f"{API}/access-log", headers=mine).json()) == 1
    assert client.get(f"{API}/access-log", headers=other).json() == []


def test_roles(client: TestClient, db: Database, clock: FrozenClock, plan: Plan, headers_for: Any) -> None:
    """S2.3: no token is 401; a client user may not run the floor or set prices (403); a viewer
    sees no warehouse at all."""
    a = _stocked_client(db, clock, plan)
    shop = headers_for("client", client_id=a["client"])
    assert client.get(f"{API}/stock").status_code == 401
    assert client.get(f"{API}/stock", headers=headers_for("viewer")).status_code == 403
    assert client.post(f"{API}/inbound/{a['inbound']}/close", headers=shop).status_code == 403
    assert client.put(f"{API}/prices/label", json={"amount": "0"}, headers=shop).status_code == 403
    assert (
        client.put(f"{API}/prices/label", json={"amount": "1"}, headers=headers_for("warehouse")).status_code
        == 403
    )
    assert (
        client.put(f"{API}/prices/label", json={"amount": "1"}, headers=headers_for("admin")).status_code
        == 200
    )


def test_scan_flow_over_http(
    client: TestClient, db: Database, clock: FrozenClock, plan: Plan, headers_for: Any
) -> None:
    """S2.9, S2.11 over the API a scanner page uses: wrong scans are 422 with the reason, a good
    scan answers the next task; pack, waybill, hand-over, manifest, stock export."""
    cid, shop = setup_warehouse(db, clock, plan)
    op = headers_for("warehouse")
    mine = headers_for("client", client_id=cid)
    r = client.post(
        f"{API}/skus", json={"client_id": cid, "code": "A", "name": "杯", "barcode": EAN}, headers=mine
    )
    assert r.status_code == 201
    bad = client.post(
        f"{API}/skus",
        json={"client_id": cid, "code": "B", "name": "x", "barcode": "036000291453"},
        headers=mine,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "barcode"
    plan_id = client.post(
        f"{API}/inbound", json={"client_id": cid, "lines": [{"sku": "A", "expected": 6}]}, headers=mine
    ).json()["id"]
    r = client.post(f"{API}/inbound/{plan_id}/receipts", json={"barcode": EAN, "quantity": 6}, headers=op)
    assert r.status_code == 201
    assert client.post(f"{API}/inbound/{plan_id}/close", headers=op).json() == []
    pallet = client.post(
        f"{API}/pallets", json={"client_id": cid, "items": [{"sku": "A", "quantity": 6}]}, headers=op
    ).json()
    assert client.get(f"{API}/pallets/{pallet['id']}/label?format=zpl", headers=op).text.startswith("^XA")
    where = client.get(f"{API}/pallets/{pallet['id']}/suggest", headers=op).json()["code"]
    assert (
        client.post(f"{API}/pallets/{pallet['id']}/putaway", json={"location": where}, headers=op).status_code
        == 200
    )
    order = client.post(
        f"{API}/orders",
        json={"client_id": cid, "ref": "W-1", "carrier": "zto", "lines": [{"sku": "A", "quantity": 2}]},
        headers=mine,
    ).json()
    short = client.post(
        f"{API}/orders",
        json={"client_id": cid, "ref": "W-2", "carrier": "zto", "lines": [{"sku": "A", "quantity": 9}]},
        headers=mine,
    ).json()
    refused = client.post(f"{API}/orders/{short['id']}/allocate", headers=op)
    assert refused.status_code == 409
    assert "A: 9 ordered, 6 available" in refused.json()["error"]["message"]
    tasks = client.post(f"{API}/orders/{order['id']}/allocate", headers=op).json()
    wave = client.post(f"{API}/waves", json={"order_ids": [order["id"]]}, headers=op).json()
    task = wave["tasks"][0]
    assert task["id"] == tasks[0]["id"]
    wrong = client.post(
        f"{API}/tasks/{task['id']}/scan", json={"location": where, "barcode": UPC}, headers=op
    )
    assert wrong.status_code == 422 and "wrong item" in wrong.json()["error"]["message"]
    first = client.post(
        f"{API}/tasks/{task['id']}/scan", json={"location": where, "barcode": EAN}, headers=op
    ).json()
    assert first["task"]["picked"] == 1 and first["next_task"]["id"] == task["id"]
    last = client.post(
        f"{API}/tasks/{task['id']}/scan", json={"location": where, "barcode": EAN}, headers=op
    ).json()
    assert last["next_task"] is None and last["order_picked"] is True
    package = client.post(f"{API}/orders/{order['id']}/pack", json={"weight_kg": "0.8"}, headers=op).json()
    assert package["tracking_no"] == "ZT7000000000"
    pdf = client.get(f"{API}/orders/{order['id']}/waybill", headers=mine)
    assert pdf.headers["content-type"] == "application/pdf"
    manifest = client.post(f"{API}/handover/zto", headers=op).json()
    assert "ZT7000000000" in client.get(f"{API}/manifests/{manifest['id']}/export", headers=op).text
    assert client.get(f"{API}/orders/{order['id']}", headers=mine).json()["status"] == "handed_over"
    ndjson = client.get(f"{API}/stock/export?format=ndjson", headers=mine).text
    assert '"on_hand": 4' in ndjson and '"available": 4' in ndjson
    assert carriers.adapter(plan, "zto").name == "ZTO Express"
