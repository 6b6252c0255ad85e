"""Stakeholder routes (issue 17): a client's incidents (a client user: its own only), the clients
an incident touches, linking one by hand, and posting an update for them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from peakguard.deps import CanReadIncidents, CanWriteIncidents, Now, SessionDep
from peakguard.limits import Id, Input, Line, Text
from peakguard.plan.service import current_plan
from peakguard.stakeholders import service
from peakguard.stakeholders.models import ClientUpdate
from peakguard.warehouse.api.deps import OperatorOrClient

router = APIRouter(prefix="/api/v1/stakeholders", tags=["stakeholders"])


class UpdateIn(Input):
    text: Annotated[str, Text(min_length=1)]


class LinkIn(Input):
    client: Annotated[str, Line(32, min_length=1)]


class UpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    text: str
    by: str
    at: datetime


@router.get("/clients/{client_id}/incidents")
def client_incidents(
    client_id: Id,
    actor: OperatorOrClient,
    session: SessionDep,
) -> list[dict[str, Any]]:
    """The incidents touching the client's parcels or orders, newest first, with the updates."""
    return [
        {
            "id": c.incident.id,
            "kind": c.incident.kind,
            "area": c.incident.area,
            "level": c.incident.level,
            "status": c.incident.status,
            "opened_at": c.incident.opened_at,
            "resolved_at": c.incident.resolved_at,
            "matched": c.matched,
            "updates": [{"text": u.text, "at": u.at} for u in c.updates],
        }
        for c in service.for_client(session, actor, client_id)
    ]


@router.get("/incidents/{incident_id}/clients")
def incident_clients(
    incident_id: Id,
    _: CanReadIncidents,
    session: SessionDep,
) -> list[dict[str, Any]]:
    return [
        {"client": c.code, "name": c.name, "matched": link.matched, "how": link.how}
        for c, link in service.clients_of(session, incident_id)
    ]


@router.post("/incidents/{incident_id}/clients", status_code=201)
def link_client(
    incident_id: Id,
    body: LinkIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> dict[str, Any]:
    """Link a client the detectors could not match (a manual report)."""
    link = service.link_client(session, actor, now, incident_id, body.client)
    return {"incident_id": link.incident_id, "client_id": link.client_id, "how": link.how}


@router.post("/incidents/{incident_id}/updates", response_model=UpdateOut, status_code=201)
def post_update(
    incident_id: Id,
    body: UpdateIn,
    actor: CanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> ClientUpdate:
    """Tell the touched clients where things stand; they read it in their portal."""
    return service.post_update(session, actor, now, current_plan(), incident_id, body.text)
