"""Per-client isolation: a user of role ``client`` reaches only its own rows, and another
client's object is reported missing (404), never forbidden, so its existence does not leak."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.db import Base
from peakguard.errors import NotFound, Word
from peakguard.plan.schemas import Plan

T = TypeVar("T", bound=Base)


def is_client(actor: Actor) -> bool:
    return actor.role == "client"


def client_filter(actor: Actor, client_id: int | None) -> int | None:
    """The client whose rows a query may return: a client user's own, whatever it asked for."""
    if is_client(actor):
        if actor.client_id is None or (client_id is not None and client_id != actor.client_id):
            raise NotFound("client {client_id} not found", client_id=client_id)
        return actor.client_id
    return client_id


def get_owned(session: Session, actor: Actor, model: type[T], obj_id: int, what: str) -> T:
    """Load a row that has a ``client_id``; missing and not-yours read the same."""
    obj = session.get(model, obj_id)
    if obj is None or (is_client(actor) and getattr(obj, "client_id", None) != actor.client_id):
        raise NotFound("{what} {obj_id} not found", what=Word(what), obj_id=obj_id)
    return obj


def local_day(now: datetime, plan: Plan) -> date:
    """The warehouse's calendar day (the plan's time zone): leases and fees are per local day."""
    return now.astimezone(ZoneInfo(plan.timezone)).date()
