"""Users (create, change password or role, deactivate), password hashes (argon2) and API tokens
(issue, expire, list, revoke). Every change is audited in the same transaction.

Expiry is measured on the wall clock (:func:`wall_now`), never on the app's clock: a drill that
runs the app's clock at 60x must not age tokens and sessions 60 times as fast, nor a simulated
start date in the past bring expired ones back."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.auth.models import ApiToken, User, UserSession
from peakguard.auth.passwords import check_policy
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
        ApiToken.expires_at > bindparam("now"),
        User.active.is_(True),
    )
)
MAX_TOKEN_DAYS = 365
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
    check_policy(password, username)
    _check_role(role, client_id)
    if language not in LANGUAGES:
        raise InvalidInput("language", "one of {choices}", choices=", ".join(LANGUAGES))
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username {username!r} is taken", field="username", username=username)
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


def verify_password(password_hash: str | None, password: str) -> bool:
    """Argon2 check (~50 ms of a core, by design). ``None`` (no such user) still costs a hash,
    so a missing user takes as long as a wrong password. Callers go through ``auth.login``,
    which throttles and caps how many run at once."""
    if password_hash is None:
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, actor: Actor, now: datetime, username: str, password: str) -> User:
    """A new password ends the user's page sessions (whoever knew the old one is logged out)
    and lifts a lockout."""
    user = get_user(session, username)
    check_policy(password, user.username)
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    end_sessions(session, user.id)
    record(session, actor, "user.password", "user", user.id, now, username=user.username)
    return user


def set_role(
    session: Session, actor: Actor, now: datetime, username: str, role: str, client_id: int | None = None
) -> User:
    user = get_user(session, username)
    _check_role(role, client_id)
    if user.role == Role.ADMIN and role != Role.ADMIN:
        _keep_an_admin(session, user)
    before = user.role
    user.role, user.client_id = role, client_id if role == Role.CLIENT else None
    record(session, actor, "user.role", "user", user.id, now, username=user.username, role=role, was=before)
    return user


def set_active(session: Session, actor: Actor, now: datetime, username: str, active: bool) -> User:
    """Deactivating ends every page session and revokes every token of the user at once (they
    would be refused anyway while the user is inactive; revoked, they stay dead if the user
    comes back, who then gets new ones)."""
    user = get_user(session, username)
    if user.active == active:
        return user
    if not active:
        if user.role == Role.ADMIN:
            _keep_an_admin(session, user)
        end_sessions(session, user.id)
        for token in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            token.revoked_at = now
    user.active = active
    user.failed_logins, user.locked_until = 0, None
    action = "user.activate" if active else "user.deactivate"
    record(session, actor, action, "user", user.id, now, username=user.username)
    return user


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def _check_role(role: str, client_id: int | None) -> None:
    if role not in {r.value for r in Role}:
        raise InvalidInput(
            "role",
            "unknown role {role!r}; one of {choices}",
            role=role,
            choices=", ".join(r.value for r in Role),
        )
    if role == Role.CLIENT and client_id is None:
        raise InvalidInput("client_id", "a user with role client belongs to one warehouse client")


def _keep_an_admin(session: Session, leaving: User) -> None:
    """Nobody could manage users any more (but the CLI): refuse to remove the last admin."""
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.active.is_(True), User.id != leaving.id)
    )
    if not others:
        raise Conflict("the last active admin cannot be removed or deactivated", field="username")


def create_token(
    session: Session, actor: Actor, now: datetime, *, username: str, name: str, days: int = 30
) -> str:
    """Issue a token and return it in clear text; this is the only time it is shown. It works
    for ``days`` days (1-365) from now on the wall clock."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput("days", "1 to {max_token_days} days", max_token_days=MAX_TOKEN_DAYS)
    user = get_user(session, username)
    if not user.active:
        raise Conflict("user {username!r} is deactivated", field="username", username=username)
    token = "pg_" + secrets.token_urlsafe(32)
    expires = wall_now() + timedelta(days=days)
    session.add(
        ApiToken(user_id=user.id, name=name, token_hash=digest(token), created_at=now, expires_at=expires)
    )
    record(session, actor, "token.create", "user", user.id, now, name=name, expires_at=expires.isoformat())
    return token


def list_tokens(session: Session, username: str | None = None) -> list[ApiToken]:
    """Tokens still usable (not revoked, not expired), newest first; one user's or everyone's."""
    query = (
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > wall_now())
        .order_by(ApiToken.id.desc())
    )
    if username is not None:
        query = query.where(User.username == get_user(session, username).username)
    return list(session.scalars(query))


def revoke_token(session: Session, actor: Actor, now: datetime, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        raise NotFound("no active token {token_id}", token_id=token_id)
    token.revoked_at = now
    record(session, actor, "token.revoke", "user", token.user_id, now, token_id=token_id)


def user_for_token(session: Session, token: str) -> User:
    """The active user of an unrevoked, unexpired token. Every API request pays this, so it is
    one indexed lookup by the token's SHA-256 (a token is 32 random bytes: no slow password hash
    is needed) that loads the user in the same statement."""
    user = session.scalar(_USER_FOR_TOKEN, {"digest": digest(token), "now": wall_now()})
    if user is None:
        raise Unauthorized("invalid, expired or revoked token")
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no user {username!r}", field="username", username=username)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def actor_for(user: User) -> Actor:
    return Actor(name=f"user:{user.username}", user_id=user.id, role=user.role, client_id=user.client_id)


def wall_now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    """SHA-256 of a random token or session id: what the database keeps instead of it."""
    return hashlib.sha256(secret.encode()).hexdigest()
