"""The incident page's issue-17 parts: why it is quiet (muted by an inhibiting incident, or
snoozed: by whom, until when, why) with the snooze form, the incidents it mutes, the clients it
touches with the form to post them an update, and in the after-action review the outlet's
scorecard with the suggested next penalty step (S3.7). :func:`extras` gives the page its
context; the routes here take the forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from peakguard.deps import Now, SessionDep
from peakguard.incidents.models import Incident
from peakguard.limits import FormText, Id, Line
from peakguard.oncall import mutes, service, snooze
from peakguard.plan.schemas import Plan
from peakguard.plan.service import current_plan
from peakguard.scorecard import numbers
from peakguard.stakeholders import service as stakeholders
from peakguard.stakeholders.models import ClientUpdate, IncidentClient
from peakguard.warehouse.models import Client
from peakguard.web.actions import attempt
from peakguard.web.security import CSRF, PageCanWriteIncidents

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Extras:
    inhibitor: Incident | None
    snoozed: mutes.Mute | None
    muted: list[Incident]
    clients: list[tuple[Client, IncidentClient]]
    updates: list[ClientUpdate]
    suggestion: numbers.Outlet | None


def extras(session: Session, plan: Plan, incident: Incident, now: datetime) -> Extras:
    penalised = plan.kinds[incident.kind].penalty if incident.kind in plan.kinds else False
    return Extras(
        inhibitor=mutes.inhibitor(session, plan, incident)
        if incident.status in ("open", "acknowledged")
        else None,
        snoozed=mutes.snooze_of(session, incident, now),
        muted=mutes.muted_under(session, incident.id),
        clients=stakeholders.clients_of(session, incident.id),
        updates=stakeholders.updates_of(session, [incident.id])[incident.id],
        suggestion=numbers.suggestion(session, plan, incident.area, exclude_incident=incident.id)
        if penalised
        else None,
    )


def _page(incident_id: int, anchor: str) -> str:
    return f"/incidents/{incident_id}#{anchor}"


@router.post("/incidents/{incident_id}/snooze", dependencies=[CSRF])
def snooze_incident(
    request: Request,
    incident_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    until: Annotated[str, Line(40), Form()] = "",
    reason: Annotated[str, Line(200), Form()] = "",
) -> Response:
    plan = current_plan()
    return attempt(
        request,
        session,
        viewer,
        lambda: snooze.snooze(
            session,
            viewer.actor,
            now,
            plan,
            incident_id,
            until=service.parse_local(until, "until", plan.timezone),
            reason=reason,
        ),  # fmt: skip
        "Paging snoozed",
        _page(incident_id, "quiet"),
    )


@router.post("/incidents/{incident_id}/unsnooze", dependencies=[CSRF])
def unsnooze_incident(
    request: Request,
    incident_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: snooze.unsnooze(session, viewer.actor, now, current_plan(), incident_id),
        "Snooze ended",
        _page(incident_id, "quiet"),
    )


@router.post("/incidents/{incident_id}/client-update", dependencies=[CSRF])
def client_update(
    request: Request,
    incident_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    text: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: stakeholders.post_update(session, viewer.actor, now, current_plan(), incident_id, text),
        "Update sent to the clients",
        _page(incident_id, "clients"),
    )


@router.post("/incidents/{incident_id}/clients", dependencies=[CSRF])
def link_client(
    request: Request,
    incident_id: Id,
    viewer: PageCanWriteIncidents,
    session: SessionDep,
    now: Now,
    client: Annotated[str, Line(32), Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: stakeholders.link_client(session, viewer.actor, now, incident_id, client),
        "Client linked",
        _page(incident_id, "clients"),
    )
