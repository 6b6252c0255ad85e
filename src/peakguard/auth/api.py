"""Auth routes: exchange a password for a token, see yourself, manage users and tokens (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from peakguard.auth import service
from peakguard.auth.login import client_address, login
from peakguard.auth.models import ApiToken, User
from peakguard.auth.roles import Perm, allows
from peakguard.auth.schemas import TokenInfo, TokenOut, TokenRequest, UserChange, UserIn, UserOut
from peakguard.deps import (
    CanManageUsers,
    ClockDep,
    CurrentUser,
    DatabaseDep,
    Now,
    SessionDep,
)
from peakguard.errors import NotFound
from peakguard.limits import Id, Line

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=TokenOut, openapi_extra={"security": []})
async def login_for_token(
    body: TokenRequest,
    request: Request,
    db: DatabaseDep,
    clock: ClockDep,
) -> TokenOut:
    """The one route without a token: it is how a user gets one, by username and password.
    Throttled per account and per address (429 with ``Retry-After``); the token expires after
    ``days`` (default ``PEAKGUARD_TOKEN_DAYS``)."""
    user_id = await login(
        db, request.app.state.login_guard, body.username, body.password, client_address(request)
    )
    days = body.days or request.app.state.settings.token_days

    def issue() -> TokenOut:
        with db.transaction() as session:
            user = session.get_one(User, user_id)
            token = service.create_token(
                session,
                service.actor_for(user),
                clock.now(),
                username=user.username,
                name=body.name,
                days=days,
            )
            issued = session.scalars(
                select(ApiToken).where(ApiToken.token_hash == service.digest(token))
            ).one()
            return TokenOut(token=token, expires_at=issued.expires_at)

    return await run_in_threadpool(issue)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> User:
    return user


@router.get("/users", response_model=list[UserOut])
def list_users(_: CanManageUsers, session: SessionDep) -> list[User]:
    return service.list_users(session)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(
    body: UserIn,
    actor: CanManageUsers,
    session: SessionDep,
    now: Now,
) -> User:
    return service.create_user(session, actor, now, **body.model_dump())


@router.patch("/users/{username}", response_model=UserOut)
def change_user(
    username: Annotated[str, Line(80)],
    body: UserChange,
    actor: CanManageUsers,
    session: SessionDep,
    now: Now,
) -> User:
    """Change a user's role, password or whether it may log in; each change is audited. A new
    password or a deactivation ends the user's sessions (a deactivation also its tokens)."""
    user = service.get_user(session, username)
    if body.role is not None:
        service.set_role(session, actor, now, username, body.role, body.client_id)
    if body.password is not None:
        service.set_password(session, actor, now, username, body.password)
    if body.active is not None:
        service.set_active(session, actor, now, username, body.active)
    return user


@router.get("/tokens", response_model=list[TokenInfo])
def list_tokens(
    user: CurrentUser,
    session: SessionDep,
    username: Annotated[str, Line(80)] | None = None,
) -> list[TokenInfo]:
    """Usable tokens: an admin sees everyone's (or ``username``'s), anyone else their own."""
    if not allows(user.role, Perm.USERS_MANAGE):
        username = user.username
    return [_info(t) for t in service.list_tokens(session, username)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    token_id: Id,
    user: CurrentUser,
    session: SessionDep,
    now: Now,
) -> Response:
    """Revoke a token: an admin any, anyone else only their own."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not allows(user.role, Perm.USERS_MANAGE)):
        raise NotFound("no active token {token_id}", token_id=token_id)
    service.revoke_token(session, service.actor_for(user), now, token_id)
    return Response(status_code=204)


def _info(token: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=token.id,
        username=token.user.username,
        name=token.name,
        created_at=token.created_at,
        expires_at=token.expires_at,
    )
