"""Idempotency keys: a client that got no answer, or a 503, sends the same create again with the
same ``Idempotency-Key`` header and the thing is made once (issue 13 item 2; S3.3: one incident
per report, never two because a retry crossed a lost answer).

The first answer is stored with the key in the same transaction as the work it answers, so
either both are stored or neither: a retry after a failed commit does the work (the first try
left nothing), a retry after a lost answer gets the stored answer back (``Idempotent-Replayed:
true``) and does nothing. A key belongs to the caller that sent it; reusing one for a different
request is refused (422 naming the header). Keys are kept for :data:`KEEP`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.errors import Conflict, InvalidInput
from peakguard.idempotency_models import StoredAnswer

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    request: str  # SHA-256 of the method, the path with its query and the body


async def idempotency_key(
    request: Request,
    key: str | None = Header(
        None,
        alias=HEADER,
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="any unique string (a UUID): a retry with the same key makes the thing once "
        "and gets the first answer back",
    ),
) -> IdempotencyKey | None:
    if key is None:
        return None
    digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(await request.body())  # already read for the body parameter: no second read
    return IdempotencyKey(key, digest.hexdigest())


IdempotencyKeyDep = Annotated[IdempotencyKey | None, Depends(idempotency_key)]
"""The request's ``Idempotency-Key`` (None when it sent none)."""


def replay(session: Session, actor: Actor, key: IdempotencyKey | None) -> JSONResponse | None:
    """The stored answer for this key, or None when the work is still to be done."""
    if key is None:
        return None
    stored = session.scalar(
        select(StoredAnswer).where(StoredAnswer.owner == actor.name, StoredAnswer.key == key.key)
    )
    if stored is None:
        return None
    if stored.request != key.request:
        raise InvalidInput(HEADER, "already used for a different request")
    return JSONResponse(
        json.loads(stored.body), status_code=stored.status, headers={"Idempotent-Replayed": "true"}
    )


def remember(
    session: Session, actor: Actor, now: datetime, key: IdempotencyKey | None, answer: M, status: int
) -> M:
    """Store ``answer`` under the key in the request's transaction; gives ``answer`` back."""
    if key is None:
        return answer
    session.execute(delete(StoredAnswer).where(StoredAnswer.created_at < now - KEEP))
    body: Any = jsonable_encoder(answer)
    session.add(
        StoredAnswer(
            owner=actor.name,
            key=key.key,
            request=key.request,
            status=status,
            body=json.dumps(body),
            created_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:  # the same key in flight in another request (PostgreSQL)
        raise Conflict(
            "a request with this {header} is in progress; retry it", field=HEADER, header=HEADER
        ) from exc
    return answer
