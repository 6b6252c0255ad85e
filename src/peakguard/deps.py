"""FastAPI dependencies shared by every domain's routes: the request's transaction, the clock,
and the authenticated user with the permission check (every API route needs a token or a
session)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.auth.models import User
from peakguard.auth.roles import Perm, allows
from peakguard.clock import Clock
from peakguard.db import Database
from peakguard.errors import Forbidden, Unauthorized


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_now(clock: Clock = Depends(get_clock)) -> datetime:
    return clock.now()


def get_session(db: Database = Depends(get_database)) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on any error."""
    with db.transaction() as session:
        yield session


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


def require(perm: Perm) -> Callable[..., Actor]:
    """A dependency that lets the request through only if the user's role grants ``perm``."""

    def check(user: User = Depends(current_user)) -> Actor:
        if not allows(user.role, perm):
            raise Forbidden(f"role {user.role!r} may not do {perm.value}")
        return auth.actor_for(user)

    return check
