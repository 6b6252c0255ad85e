"""Recording and reading the audit log. Every service that writes calls :func:`record` inside
the same transaction as the write, so the log and the data never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from peakguard.audit.models import AuditEntry

_INSERT = insert(cast(Table, AuditEntry.__table__))


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, the local CLI operator, or the system itself."""

    name: str
    user_id: int | None = None
    role: str | None = None
    client_id: int | None = None

    @classmethod
    def system(cls, what: str) -> Actor:
        return cls(name=f"system:{what}", role="admin")


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    at: datetime,
    **detail: Any,
) -> None:
    """Append one entry in the caller's transaction. A Core ``INSERT`` sent at once, not an ORM
    object left for the flush: nothing reads the entry back as an object, and the unit of work's
    bookkeeping for it cost more than the insert itself on the hot paths (a scan, S2.9)."""
    session.execute(
        _INSERT,
        {
            "at": at,
            "actor": actor.name,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "detail": _jsonable(detail),
        },
    )


def recent(session: Session, limit: int = 100, entity: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return list(session.scalars(query))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
