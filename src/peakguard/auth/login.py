"""Logging in with a password, throttled (issue 13 item 6).

Three brakes, checked in this order so that refused guesses cost no password hash:

- per client address: after ``PEAKGUARD_LOGIN_ADDRESS_FAILURES`` failures within 10 minutes the
  address waits until the oldest of them is 10 minutes old (kept in this process's memory; run
  behind a proxy with ``--proxy-headers`` so the address is the client's, not the proxy's);
- per account: after ``PEAKGUARD_LOGIN_MAX_FAILURES`` wrong passwords in a row the account is
  locked for 30 s, doubling with each further failure up to 15 minutes (kept in the database, so
  every worker agrees); the right password afterwards resets the count;
- per process: at most ``PEAKGUARD_LOGIN_CONCURRENCY`` argon2 checks run at once (each takes a
  core for ~50 ms), a few more wait their turn on the event loop (not in a thread), and the rest
  are refused at once, so a burst of guesses cannot slow every other request down.

Every refusal is a 429 with ``Retry-After`` and a message saying how long to wait."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from peakguard.audit.service import Actor, record
from peakguard.auth.models import User
from peakguard.auth.service import verify_password, wall_now
from peakguard.config import Settings
from peakguard.db import Database
from peakguard.errors import DomainError, Unauthorized

ADDRESS_WINDOW = 600.0
FIRST_LOCK = 30
LONGEST_LOCK = 900
WAITING_PER_SLOT = 8


class TooManyAttempts(DomainError):
    """429 with ``Retry-After``; the message id has a ``{wait}`` placeholder for the seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, msgid: str, retry_after: int) -> None:
        wait = max(1, retry_after)
        super().__init__(msgid, field="username", wait=wait)
        self.headers = {"Retry-After": str(wait)}


class LoginGuard:
    """The in-process part of the throttle: failures per address and the argon2 slots."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._waiting = 0

    def check_address(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            recent = self._recent(address, now)
            if len(recent) >= self.settings.login_address_failures:
                wait = math.ceil(recent[0] + ADDRESS_WINDOW - now)
                raise TooManyAttempts("too many failed logins from this address; try again in {wait} s", wait)

    def note_failure(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(address, now).append(now)
            if len(self._failures) > 10_000:  # a sweep now and then keeps memory bounded
                for key in [k for k, v in self._failures.items() if not v or v[-1] < now - ADDRESS_WINDOW]:
                    del self._failures[key]

    def _recent(self, address: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(address, deque())
        while recent and recent[0] < now - ADDRESS_WINDOW:
            recent.popleft()
        return recent

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.settings.login_concurrency))
        slots = self._slots[1]
        if slots.locked() and self._waiting >= WAITING_PER_SLOT * self.settings.login_concurrency:
            raise TooManyAttempts("too many logins at once; try again in {wait} s", 2)
        self._waiting += 1
        try:
            await slots.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            slots.release()


def client_address(request: Request) -> str:
    """The peer's address; behind a proxy, uvicorn's ``--proxy-headers`` makes it the client's."""
    return request.client.host if request.client else "unknown"


async def login(db: Database, guard: LoginGuard, username: str, password: str, address: str) -> int:
    """The id of the active user with this username and password, or ``Unauthorized`` /
    ``TooManyAttempts``. Failures are committed in their own transaction (the request's own is
    rolled back on the error)."""
    guard.check_address(address)
    account = await run_in_threadpool(_account, db, username)
    wait = lock_wait(account.locked_until) if account is not None else 0
    if wait:
        raise TooManyAttempts("too many wrong passwords for this account; try again in {wait} s", wait)
    async with guard.slot():
        ok = await run_in_threadpool(verify_password, account.password_hash if account else None, password)
    if account is not None:
        await run_in_threadpool(_settle, db, guard.settings, account, ok)
    if not ok or account is None:
        guard.note_failure(address)
        raise Unauthorized("wrong username or password")
    return account.id


def _account(db: Database, username: str) -> User | None:
    with db.transaction() as session:
        return session.scalar(select(User).where(User.username == username, User.active.is_(True)))


def _settle(db: Database, settings: Settings, account: User, ok: bool) -> None:
    if ok and not account.failed_logins:
        return
    with db.transaction() as session:
        if ok:
            session.execute(
                update(User).where(User.id == account.id).values(failed_logins=0, locked_until=None)
            )
            return
        failed = session.scalar(
            update(User)
            .where(User.id == account.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
        )
        over = (failed or 0) - settings.login_max_failures
        if over >= 0:
            now = wall_now()
            until = now + timedelta(seconds=min(FIRST_LOCK * 2**over, LONGEST_LOCK))
            session.execute(update(User).where(User.id == account.id).values(locked_until=until))
            record(
                session, Actor.system("login"), "user.locked", "user", account.id, now,
                username=account.username, failures=failed, until=until.isoformat(),
            )  # fmt: skip


def lock_wait(locked_until: datetime | None) -> int:
    """Seconds left on an account's lock (0: not locked)."""
    if locked_until is None:
        return 0
    return max(0, math.ceil((locked_until - wall_now()).total_seconds()))
