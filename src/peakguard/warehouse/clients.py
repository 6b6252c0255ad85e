"""Clients, bays, locations, bay access grants and the access log (S2.1, S2.3, S2.7)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound
from peakguard.warehouse.models import Bay, BayAccess, BayGrant, Client, Location
from peakguard.warehouse.scope import client_filter, is_client
from peakguard.warehouse.validation import decimal_field

STORAGE = ("dedicated", "shared")


def _code(value: str, field: str) -> str:
    value = value.strip()
    if not value or len(value) > 32 or not all(c.isalnum() or c in "-_" for c in value):
        raise InvalidInput(field, "must be 1-32 letters, digits, - or _")
    return value


def create_client(
    session: Session, actor: Actor, now: datetime, *, code: str, name: str, storage: str = "shared"
) -> Client:
    code = _code(code, "code")
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    if storage not in STORAGE:
        raise InvalidInput("storage", "must be dedicated or shared")
    if session.scalar(select(Client.id).where(Client.code == code)) is not None:
        raise Conflict("client code {code} is taken", field="code", code=code)
    client = Client(code=code, name=name.strip(), storage=storage, created_at=now)
    session.add(client)
    session.flush()
    record(session, actor, "warehouse.client.create", "wh_client", client.id, now, code=code, storage=storage)
    return client


def get_client(session: Session, actor: Actor, client_id: int) -> Client:
    client_filter(actor, client_id)
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound("client {client_id} not found", client_id=client_id)
    return client


def names_by_code(session: Session) -> dict[str, str]:
    """Client (shop) names by code: the shop-side detectors name a shop by its code (``shop-a``),
    people by its name (花花旗舰店)."""
    return {code: name for code, name in session.execute(select(Client.code, Client.name))}


def list_clients(session: Session, actor: Actor) -> list[Client]:
    query = select(Client).order_by(Client.code)
    if is_client(actor):
        query = query.where(Client.id == actor.client_id)
    return list(session.scalars(query))


def create_bay(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    code: str,
    area_m2: object,
    kind: str = "shared",
    client_id: int | None = None,
) -> Bay:
    """A dedicated bay belongs to one client, who is granted access to it (S2.7)."""
    code = _code(code, "code")
    area = decimal_field(area_m2, "area_m2", Decimal(1))
    if kind not in STORAGE:
        raise InvalidInput("kind", "must be dedicated or shared")
    if kind == "dedicated" and client_id is None:
        raise InvalidInput("client_id", "a dedicated bay needs its client")
    if kind == "shared" and client_id is not None:
        raise InvalidInput("client_id", "a shared bay has no single client")
    if client_id is not None:
        get_client(session, actor, client_id)
    if session.scalar(select(Bay.id).where(Bay.code == code)) is not None:
        raise Conflict("bay code {code} is taken", field="code", code=code)
    bay = Bay(code=code, area_m2=area, kind=kind, client_id=client_id)
    session.add(bay)
    session.flush()
    if client_id is not None:
        session.add(BayGrant(bay_id=bay.id, client_id=client_id, granted_at=now))
    record(session, actor, "warehouse.bay.create", "wh_bay", bay.id, now, code=code, area_m2=area, kind=kind)
    return bay


def get_bay(session: Session, bay_id: int) -> Bay:
    bay = session.get(Bay, bay_id)
    if bay is None:
        raise NotFound("bay {bay_id} not found", bay_id=bay_id)
    return bay


def create_locations(
    session: Session, actor: Actor, now: datetime, *, bay_id: int, racks: list[str], levels: list[str]
) -> list[Location]:
    """Locations ``<bay>-<rack>-<level>`` for every rack and level given."""
    bay = get_bay(session, bay_id)
    if not racks:
        raise InvalidInput("racks", "name at least one rack")
    if not levels:
        raise InvalidInput("levels", "name at least one level")
    made = []
    for rack in racks:
        for level in levels:
            code = f"{bay.code}-{_code(rack, 'racks')}-{_code(level, 'levels')}"
            if session.scalar(select(Location.id).where(Location.code == code)) is not None:
                raise Conflict("location {code} exists", field="racks", code=code)
            made.append(Location(bay_id=bay.id, code=code, rack=rack, level=level))
    session.add_all(made)
    session.flush()
    record(session, actor, "warehouse.locations.create", "wh_bay", bay.id, now, count=len(made))
    return made


def list_bays(session: Session) -> list[Bay]:
    return list(session.scalars(select(Bay).order_by(Bay.code)))


def list_locations(session: Session, bay_id: int | None = None) -> list[Location]:
    query = select(Location).order_by(Location.code)
    if bay_id is not None:
        query = query.where(Location.bay_id == bay_id)
    return list(session.scalars(query))


def grant(session: Session, actor: Actor, now: datetime, *, bay_id: int, client_id: int) -> BayGrant:
    bay = get_bay(session, bay_id)
    get_client(session, actor, client_id)
    if bay.kind == "dedicated" and bay.client_id != client_id:
        raise Conflict("bay {code} is dedicated to another client", field="client_id", code=bay.code)
    existing = session.scalar(
        select(BayGrant).where(BayGrant.bay_id == bay_id, BayGrant.client_id == client_id)
    )
    if existing is not None:
        return existing
    row = BayGrant(bay_id=bay_id, client_id=client_id, granted_at=now)
    session.add(row)
    session.flush()
    record(session, actor, "warehouse.bay.grant", "wh_bay", bay_id, now, client_id=client_id)
    return row


def open_bay(session: Session, actor: Actor, now: datetime, bay_id: int) -> BayAccess:
    """Log who opened a bay (S2.3). A client user opens only bays granted to its client; any
    other bay is reported missing."""
    bay = get_bay(session, bay_id)
    if is_client(actor):
        granted = session.scalar(
            select(BayGrant.id).where(BayGrant.bay_id == bay_id, BayGrant.client_id == actor.client_id)
        )
        if granted is None:
            raise NotFound("bay {bay_id} not found", bay_id=bay_id)
    entry = BayAccess(bay_id=bay.id, actor=actor.name, client_id=actor.client_id, at=now)
    session.add(entry)
    session.flush()
    record(session, actor, "warehouse.bay.open", "wh_bay", bay.id, now)
    return entry


def access_log(session: Session, actor: Actor, bay_id: int | None = None) -> list[BayAccess]:
    query = select(BayAccess).order_by(BayAccess.id.desc()).limit(500)
    if bay_id is not None:
        query = query.where(BayAccess.bay_id == bay_id)
    if is_client(actor):
        query = query.where(BayAccess.client_id == actor.client_id)
    return list(session.scalars(query))
