"""FastAPI dependencies shared by every domain's routes: the request's transaction, the clock,
and the authenticated user with the permission check (every API route needs a token or a
session).

FastAPI runs every plain ``def`` dependency in its thread pool, one hop each (about 0.4 ms of
CPU on a small machine, and a queue behind busy threads under load). So the ones that read
attributes or build an object are ``async def`` and run on the event loop at no such cost, and
``current_user`` hops to a thread only when the gate has not already found the user.

Routes ask for them by type: the ``Annotated`` aliases at the end (``SessionDep``, ``Now``, one
``Can...`` per permission) carry the ``Depends``, so a route's signature names what it needs and
the wiring stays here, once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.auth.models import User
from peakguard.auth.request_auth import api_user, found_by_gate
from peakguard.auth.roles import Perm, allows
from peakguard.clock import Clock
from peakguard.db import Database
from peakguard.errors import Forbidden, Unavailable, Word

T = TypeVar("T")
log = logging.getLogger(__name__)


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_now(clock: Clock = Depends(get_clock)) -> datetime:
    return clock.now()


async def _request_transaction(
    request: Request, db: Database = Depends(get_database)
) -> AsyncIterator[Session]:
    """One transaction per request, committed before the answer goes out (S3: an acknowledged
    write is a stored write).

    Registered with ``scope="function"`` (see :func:`get_session`): FastAPI then runs the code
    after ``yield`` once the route has returned and its answer is built, but before a byte of it
    is sent. A commit that fails there (disk full, serialization failure, lost connection)
    becomes :class:`Unavailable`, a 503 the client can retry, instead of a 2xx for a change that
    was never stored. A request that fails rolls back, so nothing is half-written.

    Reads (GET, HEAD) run in plain deferred transactions, so on SQLite they never wait behind a
    writer; every other method takes SQLite's write lock when it begins (see ``db.py``).

    Making a session does no I/O (it draws a connection at its first statement), so it is made
    on the event loop; only the commit or rollback goes to the thread pool, and not even that
    when the route already ended the transaction itself (see ``picking`` routes)."""
    session = db.reads() if request.method in READ_METHODS else db.sessions()
    try:
        yield session
    except BaseException:
        await _finish(db, session, commit=False)
        raise
    try:
        await _finish(db, session, commit=True)
    except DBAPIError as exc:
        log.warning("commit failed, answering 503: %s", exc.orig)
        raise Unavailable() from exc


READ_METHODS = frozenset({"GET", "HEAD"})


async def get_session(session: Session = Depends(_request_transaction, scope="function")) -> Session:
    """The request's session. Every route and dependency asks for this one (one transaction
    per request); it fixes the transaction's scope in one place, so no route can get a session
    that commits only after its answer has gone out."""
    return session


async def _finish(db: Database, session: Session, *, commit: bool) -> None:
    if session.in_transaction():
        await run_in_threadpool(db.finish, session, commit)
    else:
        session.close()  # nothing begun or already committed: no I/O, no thread hop


async def current_user(request: Request, session: Session = Depends(get_session)) -> User:
    """The caller of an API route: a bearer token, or a live page session (with the same-site
    check on changing requests, see ``auth.request_auth``). Changing requests were already
    authenticated by the gate before their body was read; the user it found is reused."""
    known = found_by_gate(request.scope, session)
    if known is not None:
        return known
    settings = request.app.state.settings
    cookie = request.session if "session" in request.scope else None
    return await run_in_threadpool(api_user, session, request.method, request.headers, cookie, settings)


def require(perm: Perm) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets the request through only if the user's role grants ``perm``."""

    async def check(user: User = Depends(current_user)) -> Actor:
        if not allows(user.role, perm):
            raise Forbidden(
                "role {role!r} may not do {permission}", role=Word(user.role), permission=perm.value
            )
        return auth.actor_for(user)

    return check


async def run_and_commit(session: Session, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a route's blocking work and commit its transaction in one thread-pool hop, for the
    hot routes (``async def``) that want the answer sent only after the commit.

    A plain ``def`` route costs three hops (the route, the check of its answer, the commit), so
    row locks taken by the route stay held while the answer is built and the commit waits for
    a free thread. Here the commit follows the work at once in the same thread: locks are held
    for the work alone. A failed commit is :class:`Unavailable` (503), never a 200 for
    something not stored."""

    def unit() -> T:
        result = work(*args, **kwargs)
        try:
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            raise Unavailable() from exc
        return result

    return await run_in_threadpool(unit)


DatabaseDep = Annotated[Database, Depends(get_database)]
ClockDep = Annotated[Clock, Depends(get_clock)]
Now = Annotated[datetime, Depends(get_now)]
"""The request's "now", from the app's clock (a fixed clock in tests and replays)."""
SessionDep = Annotated[Session, Depends(get_session)]
"""The request's one transaction, committed before the answer goes out (see :func:`get_session`)."""
CurrentUser = Annotated[User, Depends(current_user)]
"""Any authenticated caller, whatever its role (its own account, its own tokens)."""

# One alias a permission: the actor of a caller whose role grants it, else 403 (S3.4 roles).
CanReadIncidents = Annotated[Actor, Depends(require(Perm.INCIDENTS_READ))]
CanWriteIncidents = Annotated[Actor, Depends(require(Perm.INCIDENTS_WRITE))]
CanReviewIncidents = Annotated[Actor, Depends(require(Perm.INCIDENTS_REVIEW))]
CanReadPlan = Annotated[Actor, Depends(require(Perm.PLAN_READ))]
CanReadRoster = Annotated[Actor, Depends(require(Perm.ROSTER_READ))]
CanManageRoster = Annotated[Actor, Depends(require(Perm.ROSTER_MANAGE))]
CanManageUsers = Annotated[Actor, Depends(require(Perm.USERS_MANAGE))]
CanWriteEvents = Annotated[Actor, Depends(require(Perm.EVENTS_WRITE))]
CanOperateWarehouse = Annotated[Actor, Depends(require(Perm.WAREHOUSE_OPERATE))]
CanManageWarehouse = Annotated[Actor, Depends(require(Perm.WAREHOUSE_MANAGE))]
CanReadReadiness = Annotated[Actor, Depends(require(Perm.READINESS_READ))]
CanWriteReadiness = Annotated[Actor, Depends(require(Perm.READINESS_WRITE))]
CanPrint = Annotated[Actor, Depends(require(Perm.PRINTING))]
