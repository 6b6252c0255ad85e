"""Creating users, checking passwords (argon2) and issuing and resolving API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.auth.models import ApiToken, User
from peakguard.auth.roles import Role
from peakguard.errors import Conflict, InvalidInput, NotFound, Unauthorized
from peakguard.i18n import LANGUAGES

_hasher = PasswordHasher()
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")


def create_user(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    language: str = "zh_CN",
    client_id: int | None = None,
) -> User:
    if not _USERNAME.match(username):
        raise InvalidInput("username", "2-80 letters, digits or _ . @ -")
    if len(password) < 8:
        raise InvalidInput("password", "at least 8 characters")
    if role not in {r.value for r in Role}:
        raise InvalidInput("role", f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}")
    if language not in LANGUAGES:
        raise InvalidInput("language", f"one of {', '.join(LANGUAGES)}")
    if role == Role.CLIENT and client_id is None:
        raise InvalidInput("client_id", "a user with role client belongs to one warehouse client")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username {username!r} is taken", field="username")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=_hasher.hash(password),
        role=role,
        language=language,
        client_id=client_id,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.create", "user", user.id, now, username=username, role=role)
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        # Hash anyway so a missing user takes as long as a wrong password.
        _hasher.hash(password)
        raise Unauthorized("wrong username or password")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise Unauthorized("wrong username or password") from exc
    return user


def create_token(session: Session, actor: Actor, now: datetime, *, username: str, name: str) -> str:
    """Issue a token and return it in clear text; this is the only time it is shown."""
    user = get_user(session, username)
    token = "pg_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_digest(token), created_at=now))
    record(session, actor, "token.create", "user", user.id, now, name=name)
    return token


def revoke_token(session: Session, actor: Actor, now: datetime, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        raise NotFound(f"no active token {token_id}")
    token.revoked_at = now
    record(session, actor, "token.revoke", "user", token.user_id, now, token_id=token_id)


def user_for_token(session: Session, token: str) -> User:
    """The active user of an unrevoked token. Every API request pays this, so it is one indexed
    lookup by the token's SHA-256 (a token is 32 random bytes: no slow password hash is needed)
    that loads the user in the same statement."""
    user = session.scalar(_USER_FOR_TOKEN, {"digest": _digest(token)})
    if user is None:
        raise Unauthorized("invalid or revoked token")
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def actor_for(user: User) -> Actor:
    return Actor(name=f"user:{user.username}", user_id=user.id, role=user.role, client_id=user.client_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
