"""Shops and 3PL clients are told (issue 17; S3.7 (5) disclosure, (6) positive communication).

* **Touched clients.** When detection reports an incident, the parcels or orders it counts are
  matched against the warehouse's packages (tracking number) and orders (reference), per
  client, with one query per batch of ids for both, and the incident is linked to each client
  it touches. Staff may also link a client by hand. A client user sees only the incidents
  linked to its own client (another client's incident is missing, as everywhere in S2.8).
* **Updates.** The handler posts an update for the touched clients; it shows in their portal.
* **Reminders.** At a level with ``oncall.client_update_minutes`` (e.g. 120 for L1), an active
  incident that touches a client reminds its handler to post an update each interval without
  one. The reminder clock is a row: the ticker moves ``due_at`` on with a conditional update on
  the value it read, so each interval reminds exactly once, across tickers and restarts; a
  server that was down for several intervals reminds once, not once per missed interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.db import Database
from peakguard.errors import Conflict, InvalidInput, NotFound
from peakguard.i18n import gettext
from peakguard.incidents.models import ACTIVE, Incident
from peakguard.incidents.notices import named
from peakguard.incidents.timeline import add_entry
from peakguard.limits import MAX_TEXT
from peakguard.notify import service as notify
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan
from peakguard.roster.models import Person
from peakguard.stakeholders.models import ClientUpdate, IncidentClient, UpdateClock
from peakguard.warehouse.models import Client, Order, Package
from peakguard.warehouse.scope import client_filter

CHUNK = 900  # ids per IN (...) list, under every database's parameter limit


@dataclass(frozen=True)
class ClientIncident:
    """An incident as a touched client reads it: what, how serious, where it stands, and what
    the handler told the clients."""

    incident: Incident
    matched: int
    updates: list[ClientUpdate]


def link_touched(session: Session, now: datetime, incident_id: int, ids: Sequence[str]) -> dict[int, int]:
    """Link the incident to every client owning some of ``ids`` (parcels by tracking number,
    orders by reference); return client id -> how many of its parcels or orders it counts (a
    link says ``orders`` when some of its orders matched, else ``parcels``). One query per
    :data:`CHUNK` ids matches both tables at once; a system without warehouse orders (the
    express side alone) asks nothing more."""
    if not ids or session.scalar(select(Order.id).limit(1)) is None:
        return {}  # every package belongs to an order: no order, nothing to match
    matched: dict[int, int] = {}
    by_order: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        parcels = (
            select(Package.client_id, literal(False), func.count())
            .where(Package.tracking_no.in_(chunk))
            .group_by(Package.client_id)
        )
        orders = (
            select(Order.client_id, literal(True), func.count())
            .where(Order.ref.in_(chunk))
            .group_by(Order.client_id)
        )
        for client_id, is_order, n in session.execute(union_all(parcels, orders)):
            matched[client_id] = matched.get(client_id, 0) + n
            if is_order:
                by_order.add(client_id)
    for client_id, n in matched.items():
        _link(session, now, incident_id, client_id, n, "orders" if client_id in by_order else "parcels")
    return matched


def link_client(
    session: Session, actor: Actor, now: datetime, incident_id: int, client_code: str
) -> IncidentClient:
    """A person links a client the detectors could not match (a manual report, a phone call)."""
    incident = _incident(session, incident_id)
    client = session.scalars(select(Client).where(Client.code == client_code.strip())).first()
    if client is None:
        raise InvalidInput("client", "no client with code {client_code!r}", client_code=client_code)
    link = _link(session, now, incident.id, client.id, 0, "manual")
    record(session, actor, "incident.client_link", "incident", incident.id, now, client=client.code)
    return link


def clients_of(session: Session, incident_id: int) -> list[tuple[Client, IncidentClient]]:
    query = (
        select(Client, IncidentClient)
        .join(IncidentClient, IncidentClient.client_id == Client.id)
        .where(IncidentClient.incident_id == incident_id)
        .order_by(Client.code)
    )
    return [(c, link) for c, link in session.execute(query)]


def updates_of(session: Session, incident_ids: Sequence[int]) -> dict[int, list[ClientUpdate]]:
    out: dict[int, list[ClientUpdate]] = {i: [] for i in incident_ids}
    if incident_ids:
        query = (
            select(ClientUpdate)
            .where(ClientUpdate.incident_id.in_(list(incident_ids)))
            .order_by(ClientUpdate.id.desc())
        )
        for row in session.scalars(query):
            out[row.incident_id].append(row)
    return out


def for_client(session: Session, actor: Actor, client_id: int, limit: int = 100) -> list[ClientIncident]:
    """The incidents touching ``client_id``'s goods, newest first; a client user asking for
    another client's gets :class:`NotFound` (``client_filter``)."""
    scoped = client_filter(actor, client_id)
    if session.get(Client, scoped) is None:
        raise NotFound("client {client_id} not found", client_id=client_id)
    query = (
        select(Incident, IncidentClient.matched)
        .join(IncidentClient, IncidentClient.incident_id == Incident.id)
        .where(IncidentClient.client_id == scoped)
        .order_by(Incident.id.desc())
        .limit(limit)
    )
    rows = session.execute(query).all()
    updates = updates_of(session, [incident.id for incident, _ in rows])
    return [ClientIncident(incident, matched, updates[incident.id]) for incident, matched in rows]


def post_update(
    session: Session, actor: Actor, now: datetime, plan: Plan, incident_id: int, text: str
) -> ClientUpdate:
    """The handler tells the touched clients where things stand; the next reminder is one
    interval from now."""
    incident = _incident(session, incident_id)
    if incident.status == "closed":
        raise Conflict("incident {incident_id} is closed", field="status", incident_id=incident_id)
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput("text", "write the update (1 to {max_text} characters)", max_text=MAX_TEXT)
    if not session.scalars(
        select(IncidentClient).where(IncidentClient.incident_id == incident.id).limit(1)
    ).first():
        raise Conflict(
            "incident {incident_id} touches no client; link one first",
            field="client",
            incident_id=incident_id,
        )
    row = ClientUpdate(incident_id=incident.id, text=text, by=actor.name, at=now)
    session.add(row)
    minutes = plan.oncall.client_update_minutes.get(incident.level)
    clock = session.get(UpdateClock, incident.id)
    if clock is not None and minutes:
        clock.due_at, clock.level = now + timedelta(minutes=minutes), incident.level
    session.flush()
    add_entry(session, incident, actor, now, "client_update", text)
    record(session, actor, "incident.client_update", "incident", incident.id, now, update=row.id)
    return row


def tick(session: Session, now: datetime, plan: Plan) -> list[int]:
    """Start the clocks of touched incidents, then remind each due one once (module doc);
    return the incident ids reminded."""
    every = plan.oncall.client_update_minutes
    if not every:
        return []
    _start_clocks(session, now, plan)
    due = session.execute(
        select(UpdateClock, Incident)
        .join(Incident, Incident.id == UpdateClock.incident_id)
        .where(UpdateClock.due_at <= now, Incident.status.in_(ACTIVE))
        .order_by(UpdateClock.due_at)
    ).all()
    reminded = []
    for clock, incident in due:
        minutes = every.get(incident.level)
        if minutes is None:
            continue
        step = timedelta(minutes=minutes)
        following = clock.due_at + step * ((now - clock.due_at) // step + 1)
        claimed = session.execute(
            update(UpdateClock)
            .where(UpdateClock.incident_id == clock.incident_id, UpdateClock.due_at == clock.due_at)
            .values(due_at=following, reminders=UpdateClock.reminders + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another ticker reminded for this interval
        _remind(session, now, plan, incident, following)
        reminded.append(incident.id)
    return reminded


def _start_clocks(session: Session, now: datetime, plan: Plan) -> None:
    """A clock for each active touched incident at a level with an interval; a level change
    restarts it at the new level's interval."""
    every = plan.oncall.client_update_minutes
    rows = session.execute(
        select(Incident, UpdateClock)
        .outerjoin(UpdateClock, UpdateClock.incident_id == Incident.id)
        .where(
            Incident.status.in_(ACTIVE),
            Incident.level.in_(list(every)),
            select(IncidentClient.client_id).where(IncidentClient.incident_id == Incident.id).exists(),
        )
    ).all()
    for incident, clock in rows:
        step = timedelta(minutes=every[incident.level])
        if clock is None:
            try:
                with session.begin_nested():
                    session.add(
                        UpdateClock(
                            incident_id=incident.id, level=incident.level, due_at=incident.opened_at + step
                        )
                    )
            except IntegrityError:
                continue  # another ticker started it
        elif clock.level != incident.level:
            clock.level, clock.due_at = incident.level, now + step
    session.flush()


def _remind(session: Session, now: datetime, plan: Plan, incident: Incident, following: datetime) -> None:
    zone = ZoneInfo(plan.timezone)
    names = [c.name for c, _ in clients_of(session, incident.id)]

    def render(language: str) -> tuple[str, str]:
        values = {
            **named(plan, incident, language),
            "clients": "、".join(names) if language != "en" else ", ".join(names),
            "next": following.astimezone(zone).strftime("%H:%M"),
        }
        return (
            gettext(language, "[{level}] Update the clients on incident #{id}", **values),
            gettext(
                language,
                "{kind} in {area} touches {clients}. Post an update for them now; the next reminder is at {next}.",
                **values,
            ),
        )

    person = session.get(Person, incident.assignee_id) if incident.assignee_id else None
    if person is not None:
        notify.enqueue_person(
            session, now, event="client_update_due", person=person, render=render, incident_id=incident.id
        )
    else:
        notify.enqueue(
            session,
            now,
            event="client_update_due",
            roles=[incident.handler_role],
            render=render,
            incident_id=incident.id,
        )
    add_entry(
        session,
        incident,
        Actor.system("stakeholders"),
        now,
        "client_update_due",
        f"update the clients: {', '.join(names)}",
    )


def _link(
    session: Session, now: datetime, incident_id: int, client_id: int, n: int, how: str
) -> IncidentClient:
    link = session.get(IncidentClient, (incident_id, client_id))
    if link is not None:
        link.matched = max(link.matched, n)
        return link
    link = IncidentClient(incident_id=incident_id, client_id=client_id, matched=n, how=how, linked_at=now)
    try:
        with session.begin_nested():
            session.add(link)
    except IntegrityError:  # linked by another process meanwhile
        existing = session.get(IncidentClient, (incident_id, client_id))
        assert existing is not None
        return existing
    return link


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("no incident {incident_id}", field="incident_id", incident_id=incident_id)
    return incident


def stakeholders_job(db: Database, now: datetime) -> list[int]:
    """The reminders as a background job of ``peakguard serve``: its own transaction."""
    with db.transaction() as session:
        return tick(session, now, current_plan())
