"""FastAPI dependencies shared by every domain's routes: the request's transaction, the clock,
and the authenticated user with the permission check (every API route needs a token or a
session).

FastAPI runs every plain ``def`` dependency in its thread pool, one hop each (about 0.4 ms of
CPU on a small machine, and a queue behind busy threads under load). So only the ones that do
database I/O are plain ``def`` (``current_user``); the ones that read attributes or build an
object are ``async def`` and run on the event loop at no such cost."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.auth.models import User
from peakguard.auth.roles import Perm, allows
from peakguard.clock import Clock
from peakguard.db import Database
from peakguard.errors import Forbidden, Unauthorized

T = TypeVar("T")


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_now(clock: Clock = Depends(get_clock)) -> datetime:
    return clock.now()


async def get_session(db: Database = Depends(get_database)) -> AsyncIterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on any error.

    Making a session does no I/O (it draws a connection at its first statement), so it is made
    on the event loop; only the commit or rollback goes to the thread pool, and not even that
    when the route already ended the transaction itself (see ``picking`` routes)."""
    session = db.sessions()
    try:
        yield session
    except BaseException:
        await _finish(db, session, commit=False)
        raise
    await _finish(db, session, commit=True)


async def _finish(db: Database, session: Session, *, commit: bool) -> None:
    if session.in_transaction():
        await run_in_threadpool(db.finish, session, commit)
    else:
        session.close()  # nothing begun or already committed: no I/O, no thread hop


def current_user(request: Request, session: Session = Depends(get_session)) -> User:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return auth.user_for_token(session, header[7:].strip())
    user_id = request.session.get("user_id") if "session" in request.scope else None
    if user_id is not None:
        user = session.get(User, user_id)
        if user is not None and user.active:
            return user
    raise Unauthorized("a bearer token or a logged-in session is required")


def require(perm: Perm) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets the request through only if the user's role grants ``perm``."""

    async def check(user: User = Depends(current_user)) -> Actor:
        if not allows(user.role, perm):
            raise Forbidden(f"role {user.role!r} may not do {perm.value}")
        return auth.actor_for(user)

    return check


async def run_and_commit(session: Session, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a route's blocking work and commit its transaction in one thread-pool hop, for the
    hot routes (``async def``) that want the answer sent only after the commit.

    A plain ``def`` route costs three hops (the route, the check of its answer, the commit) and
    ``get_session`` commits only after the response has gone out, so row locks taken by the
    route stay held while the answer is written and the commit waits for a free thread. Here
    the commit follows the work at once in the same thread: locks are held for the work alone,
    and a failed commit is the caller's error, never a 200 for something not stored."""

    def unit() -> T:
        result = work(*args, **kwargs)
        session.commit()
        return result

    return await run_in_threadpool(unit)
