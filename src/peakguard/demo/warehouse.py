"""The demo's overflow warehouse (S2): two client shops, a dedicated bay for one and a shared bay,
leases, stock received through QC, palletized and put away, and a wave of orders ready to pick
on the scanner pages; plus the logins of an operator and of each shop (role client). Built only
through the warehouse services, as an operator would."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.demo.people import DEMO_PASSWORD, DemoLogin
from peakguard.plan.schemas import Plan
from peakguard.warehouse import billing, clients, inbound, leases, outbound, skus

Item = tuple[str, str, str | None, int]
"""SKU code, name, barcode (None: the warehouse generates one, S2.6), quantity received."""
SHOPS: list[tuple[str, str, str, list[Item]]] = [
    (
        "shop-a",
        "花花旗舰店",
        "dedicated",
        [("CUP", "保温杯", "4006381333931", 60), ("MUG", "马克杯", "036000291452", 40)],
    ),
    ("shop-b", "小米粒家居", "shared", [("TEA", "龙井茶礼盒", None, 80), ("PAD", "坐垫", None, 30)]),
]


def create_warehouse(session: Session, actor: Actor, now: datetime, plan: Plan) -> list[DemoLogin]:
    for code, amount in (("inbound_line", "3.00"), ("outbound_order", "5.00"), ("label", "0.50")):
        billing.set_price(session, actor, now, code=code, amount=amount)
    shared = clients.create_bay(session, actor, now, code="S", area_m2="120")
    clients.create_locations(
        session, actor, now, bay_id=shared.id, racks=["01", "02"], levels=["1", "2"]
    )
    today = now.astimezone(ZoneInfo(plan.timezone)).date()
    carrier = next(iter(plan.warehouse.carriers))
    logins = [DemoLogin("cang", "warehouse", "仓库操作员")]
    for code, name, storage, items in SHOPS:
        client = clients.create_client(session, actor, now, code=code, name=name, storage=storage)
        if storage == "dedicated":
            bay = clients.create_bay(
                session, actor, now, code="A", area_m2="40", kind="dedicated", client_id=client.id
            )
            clients.create_locations(
                session, actor, now, bay_id=bay.id, racks=["01"], levels=["1", "2"]
            )
        leases.create_lease(
            session, actor, now, plan, client_id=client.id, area_m2="30", daily_rate="2.50", start=today
        )
        made = [
            skus.create_sku(session, actor, now, client_id=client.id, code=c, name=n, barcode=b)
            for c, n, b, _ in items
        ]
        plan_in = inbound.create_plan(
            session,
            actor,
            now,
            client_id=client.id,
            lines=[inbound.PlanLineIn(c, q) for c, _, _, q in items],
        )
        for sku, (_, _, _, quantity) in zip(made, items, strict=True):
            inbound.receive(session, actor, now, plan_id=plan_in.id, barcode=sku.barcode, quantity=quantity)
        pallet = inbound.palletize(
            session, actor, now, client_id=client.id, items=[inbound.PalletItem(c, q) for c, _, _, q in items]
        )
        location = inbound.suggest_location(session, actor, pallet.id)
        inbound.putaway(session, actor, now, pallet_id=pallet.id, location_code=location.code)
        for n in range(3):
            order = outbound.create_order(
                session,
                actor,
                now,
                plan,
                client_id=client.id,
                ref=f"{code.upper()}-{1001 + n}",
                carrier=carrier,
                lines=[outbound.OrderLineIn(items[n % len(items)][0], 1 + n)],
            )
            outbound.allocate(session, actor, now, order.id)
        user = DemoLogin(f"{code}", "client", name, client_id=client.id)
        logins.append(user)
    outbound.create_wave(session, actor, now)
    for login in logins:
        auth.create_user(
            session,
            actor,
            now,
            username=login.username,
            password=DEMO_PASSWORD,
            role=login.role,
            display_name=login.display_name,
            client_id=login.client_id,
        )
    return logins
