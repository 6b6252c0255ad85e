"""Auth routes: exchange a password for a token, see yourself, manage users (admin)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.auth import service
from peakguard.auth.models import User
from peakguard.auth.roles import Perm
from peakguard.auth.schemas import TokenOut, TokenRequest, UserIn, UserOut
from peakguard.deps import current_user, get_now, get_session, require

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=TokenOut, openapi_extra={"security": []})
def login_for_token(
    body: TokenRequest, session: Session = Depends(get_session), now: datetime = Depends(get_now)
) -> TokenOut:
    """The one route without a token: it is how a user gets one, by username and password."""
    user = service.authenticate(session, body.username, body.password)
    token = service.create_token(
        session, service.actor_for(user), now, username=user.username, name=body.name
    )
    return TokenOut(token=token)


@router.get("/me", response_model=UserOut)
def me(user: User = Depends(current_user)) -> User:
    return user


@router.get("/users", response_model=list[UserOut])
def list_users(
    _: Actor = Depends(require(Perm.USERS_MANAGE)), session: Session = Depends(get_session)
) -> list[User]:
    return service.list_users(session)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(
    body: UserIn,
    actor: Actor = Depends(require(Perm.USERS_MANAGE)),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> User:
    return service.create_user(session, actor, now, **body.model_dump())
