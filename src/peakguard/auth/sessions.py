"""Server-side page sessions (issue 13 item 8).

The signed cookie holds a random session id; the database holds its hash with the login time and
the last time it was used. A session is good while its row exists, it was used within the idle
limit and it is younger than the absolute limit (``PEAKGUARD_SESSION_IDLE_MINUTES``,
``PEAKGUARD_SESSION_MAX_HOURS``). Logging out deletes the row, so the cookie is dead even in
someone else's hands; a password change or deactivation deletes all of a user's rows."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session

from peakguard.auth.models import User, UserSession
from peakguard.auth.service import digest

TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often per session: a page polling every 3 s must
not turn every poll into a write."""

_SESSION_FOR_SID = (
    select(UserSession, User)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.sid_hash == bindparam("digest"))
)


def open_session(session: Session, user: User, now: datetime, idle: timedelta, max_age: timedelta) -> str:
    """A new session for ``user``; returns the clear id for the cookie. The user's sessions that
    have run out are cleared on the way, so the table holds only live ones and recent ones."""
    session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(UserSession.last_seen_at <= now - idle, UserSession.created_at <= now - max_age),
        )
    )
    sid = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, sid_hash=digest(sid), created_at=now, last_seen_at=now))
    session.flush()
    return sid


def resolve(session: Session, sid: str, now: datetime, idle: timedelta, max_age: timedelta) -> User | None:
    """The active user of a live session, or None (no such session, run out, user inactive)."""
    row = session.execute(_SESSION_FOR_SID, {"digest": digest(sid)}).one_or_none()
    if row is None:
        return None
    live, user = row
    if live.last_seen_at <= now - idle or live.created_at <= now - max_age:
        session.delete(live)
        return None
    if not user.active:
        return None
    if now - live.last_seen_at >= TOUCH_EVERY:
        live.last_seen_at = now
    return user


def close(session: Session, sid: str) -> None:
    session.execute(delete(UserSession).where(UserSession.sid_hash == digest(sid)))
