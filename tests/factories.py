"""What many tests build: the actors, one warehouse client with its bays and prices, page users
who log in, an incident, and counting rows. One copy here, instead of test modules importing each
other's helpers or defining them again."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.clock import FrozenClock
from peakguard.db import Database
from peakguard.incidents import reporting
from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing, clients

ADMIN = Actor(name="test:admin", role="admin")
OPERATOR = Actor(name="test:operator", role="warehouse")
EAN = "4006381333931"
UPC = "036000291452"
PASSWORD = "secret-pass"


def count(db, model, *where) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def setup_warehouse(db: Database, clock: FrozenClock, plan: Plan) -> tuple[int, Actor]:
    now = clock.now()
    with db.transaction() as s:
        client = clients.create_client(s, ADMIN, now, code="shop-a", name="店铺A", storage="dedicated")
        own = clients.create_bay(s, ADMIN, now, code="A", area_m2="40", kind="dedicated", client_id=client.id)
        shared = clients.create_bay(s, ADMIN, now, code="S", area_m2="100")
        clients.create_locations(s, ADMIN, now, bay_id=own.id, racks=["01"], levels=["1", "2"])
        clients.create_locations(s, ADMIN, now, bay_id=shared.id, racks=["01", "02"], levels=["1"])
        for code, amount in (("inbound_line", "3.00"), ("outbound_order", "5.00"), ("label", "0.50")):
            billing.set_price(s, ADMIN, now, code=code, amount=amount)
        return client.id, Actor(name="user:shop-a", role="client", client_id=client.id)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def make_user(db, clock, role: str, language: str = "zh_CN", client_id: int | None = None) -> str:
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    with db.transaction() as s:
        auth.create_user(
            s,
            ADMIN,
            clock.now(),
            username=name,
            password=PASSWORD,
            role=role,
            language=language,
            client_id=client_id,
        )
    return name


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token for later posts."""
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/account").text)


def report(db, clock, kind: str = "lost", area: str = "XM-03", count: int = 1) -> int:
    with db.transaction() as s:
        return reporting.report(s, ADMIN, clock.now(), kind=kind, area=area, count=count).incident.id
