"""Issue 13 items 1 and 6, as an attacker would try them: a session forged with the old built-in
key, a changed key, password guessing (per account, per address, in parallel), weak passwords,
and the admin's tools to stop a user (deactivate, new password, new role) and to see and revoke
tokens, which now expire. Both databases."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import stat
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import select, update

from peakguard.app import create_app
from peakguard.audit.models import AuditEntry
from peakguard.auth import service as auth
from peakguard.auth.login import WAITING_PER_SLOT, LoginGuard, TooManyAttempts
from peakguard.auth.models import ApiToken, User
from peakguard.config import Settings
from peakguard.secret_key import KEY_FILE, SecretKeyError, secret_key
from tests.factories import ADMIN, PASSWORD, csrf_of, login, make_user

OLD_DEFAULT = "change-me-in-production"


def starlette_cookie(data: dict[str, object], key: str) -> str:
    """A session cookie exactly as Starlette's SessionMiddleware signs one."""
    payload = base64.b64encode(json.dumps(data).encode())
    return TimestampSigner(key).sign(payload).decode()


def app_with(db, clock, **settings):  # type: ignore[no-untyped-def]
    return create_app(Settings(**settings), db=db, clock=clock)


# --- item 1: no usable default secret key ------------------------------------------------------


def test_a_cookie_signed_with_the_old_default_key_is_refused(client, db, clock):
    with db.transaction() as s:
        admin = auth.create_user(s, ADMIN, clock.now(), username="root", password=PASSWORD, role="admin")
    forged = starlette_cookie({"user_id": admin.id}, OLD_DEFAULT)
    client.cookies.set("session", forged)
    assert client.get("/api/v1/me").status_code == 401
    r = client.post(
        "/api/v1/users",
        json={"username": "mallory", "password": "Xq7!long-enough", "role": "admin"},
        headers={"Origin": "http://testserver"},
    )
    assert r.status_code == 401


def test_the_key_is_made_once_private_beside_the_sqlite_file_and_reused(tmp_path):
    url = f"sqlite:///{tmp_path / 'data' / 'peakguard.db'}"
    first = secret_key(Settings(secret_key=None, data_dir=None), url)
    path = tmp_path / "data" / KEY_FILE
    assert len(first) >= 32 and first != OLD_DEFAULT
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(Settings(secret_key=None, data_dir=None), url) == first
    elsewhere = secret_key(Settings(secret_key=None, data_dir=tmp_path / "keys"), url)
    assert elsewhere != first and (tmp_path / "keys" / KEY_FILE).exists()


@pytest.mark.parametrize("bad", [OLD_DEFAULT, "short"])
def test_a_known_or_short_configured_key_is_refused_at_start(bad, db, clock):
    with pytest.raises(SecretKeyError, match="at least 32"):
        app_with(db, clock, secret_key=bad)


def test_changing_the_key_ends_every_session(db, clock):
    name = make_user(db, clock, "leader")
    with TestClient(app_with(db, clock, secret_key="a" * 40)) as c:
        login(c, name)
        assert c.get("/api/v1/me").status_code == 200
        cookie = c.cookies.get("session")
    with TestClient(app_with(db, clock, secret_key="b" * 40)) as c:
        c.cookies.set("session", cookie)
        assert c.get("/api/v1/me").status_code == 401


# --- item 6: throttling ------------------------------------------------------------------------


def token_login(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_an_account_locks_after_wrong_passwords_and_refuses_the_right_one_unhashed(db, clock):
    name = make_user(db, clock, "member")
    with TestClient(app_with(db, clock, login_max_failures=3, login_address_failures=100)) as c:
        for _ in range(3):
            assert token_login(c, name, "wrong-password-1").status_code == 401
        r = token_login(c, name, PASSWORD)
        assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
        assert 1 <= int(r.headers["Retry-After"]) <= 30
        assert "try again in" in r.json()["error"]["message"]
        with db.transaction() as s:
            user = s.scalar(select(User).where(User.username == name))
            assert user is not None and user.failed_logins == 3
            assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "user.locked")) is not None
            s.execute(update(User).where(User.id == user.id).values(locked_until=auth.wall_now()))
        assert token_login(c, name, PASSWORD).status_code == 200
        with db.transaction() as s:
            assert s.scalar(select(User.failed_logins).where(User.username == name)) == 0


def test_the_lock_doubles_with_each_further_failure(db, clock):
    name = make_user(db, clock, "member")
    with TestClient(app_with(db, clock, login_max_failures=1, login_address_failures=100)) as c:
        token_login(c, name, "wrong-password-1")
        with db.transaction() as s:
            s.execute(update(User).where(User.username == name).values(locked_until=None))
        token_login(c, name, "wrong-password-2")
        with db.transaction() as s:
            until = s.scalar(select(User.locked_until).where(User.username == name))
        assert until is not None and timedelta(seconds=50) < until - auth.wall_now() <= timedelta(seconds=60)


def test_one_address_guessing_many_accounts_is_held_back(db, clock):
    with TestClient(app_with(db, clock, login_address_failures=3)) as c:
        for i in range(3):
            assert token_login(c, f"nobody-{i}", "wrong-password-1").status_code == 401
        r = token_login(c, "nobody-9", "wrong-password-1")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 500
        page = c.get("/login")
        r = c.post("/login", data={"username": "x", "password": "y", "csrf_token": csrf_of(page.text)})
        assert r.status_code == 429 and "Retry-After" in r.headers
        assert "此地址登录失败次数过多" in r.text


def test_parallel_password_checks_are_capped_and_the_overflow_refused_at_once():
    """Only ``login_concurrency`` argon2 checks run at once; a few wait on the event loop (no
    thread held), and beyond that a guess is refused without waiting or hashing."""
    guard = LoginGuard(Settings(login_concurrency=1))

    async def scenario() -> tuple[int, int]:
        release = asyncio.Event()
        running = 0
        most = 0

        async def check() -> None:
            nonlocal running, most
            async with guard.slot():
                running += 1
                most = max(most, running)
                await release.wait()
                running -= 1

        holders = [asyncio.create_task(check()) for _ in range(1 + WAITING_PER_SLOT)]
        await asyncio.sleep(0.01)
        refused = 0
        for _ in range(5):
            try:
                async with guard.slot():
                    pass
            except TooManyAttempts:
                refused += 1
        release.set()
        await asyncio.gather(*holders)
        return most, refused

    most, refused = asyncio.run(scenario())
    assert (most, refused) == (1, 5)


# --- item 6: password policy -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "at least 10 characters"),
        ("password", "at least 10 characters"),
        ("1234567890", "too common"),
        ("Password123", "too common"),
        ("aaaaaaaaaaaa", "too simple"),
        ("wang-zhaoming-2026", "must not contain the username"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, headers_for, password, reason):
    admin = headers_for("admin")
    r = client.post(
        "/api/v1/users",
        json={"username": "wang-zhaoming", "password": password, "role": "member"},
        headers=admin,
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "password" and reason in r.json()["error"]["message"]


# --- item 6: deactivate, password, role; tokens ------------------------------------------------


def test_an_admin_deactivates_a_user_whose_token_and_session_stop_at_once(client, db, clock, headers_for):
    admin = headers_for("admin")
    member = headers_for("member", username="zhou")
    with TestClient(client.app) as browser:
        login(browser, "zhou")
        assert browser.get("/api/v1/me").status_code == 200
        r = client.patch("/api/v1/users/zhou", json={"active": False}, headers=admin)
        assert r.status_code == 200 and r.json()["active"] is False
        assert client.get("/api/v1/me", headers=member).status_code == 401
        assert browser.get("/api/v1/me").status_code == 401
        assert token_login(client, "zhou", PASSWORD).status_code == 401
    client.patch("/api/v1/users/zhou", json={"active": True}, headers=admin)
    assert client.get("/api/v1/me", headers=member).status_code == 401  # revoked for good
    assert token_login(client, "zhou", PASSWORD).status_code == 200
    with db.transaction() as s:
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "user")))
    assert {"user.deactivate", "user.activate"} <= actions


def test_password_and_role_changes_through_the_api_are_checked_and_audited(client, db, headers_for):
    admin = headers_for("admin")
    headers_for("member", username="qian")
    r = client.patch("/api/v1/users/qian", json={"password": "password123"}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "password"
    assert (
        client.patch("/api/v1/users/qian", json={"password": "Silver-river-77"}, headers=admin).status_code
        == 200
    )
    assert token_login(client, "qian", "Silver-river-77").status_code == 200
    r = client.patch("/api/v1/users/qian", json={"role": "viewer"}, headers=admin)
    assert r.json()["role"] == "viewer"
    r = client.patch("/api/v1/users/qian", json={"role": "client"}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "client_id"
    member = headers_for("member")
    assert client.patch("/api/v1/users/qian", json={"role": "admin"}, headers=member).status_code == 403
    with db.transaction() as s:
        roles = [e.detail for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "user.role"))]
        passwords = list(s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "user.password")))
    assert roles == [{"username": "qian", "role": "viewer", "was": "member"}]
    assert len(passwords) == 1 and passwords[0].startswith("user:admin-")


def test_the_last_admin_cannot_be_deactivated_or_demoted(client, headers_for):
    admin = headers_for("admin", username="only-admin")
    for change in ({"active": False}, {"role": "viewer"}):
        r = client.patch("/api/v1/users/only-admin", json=change, headers=admin)
        assert r.status_code == 409 and "last active admin" in r.json()["error"]["message"]


def test_tokens_expire_are_listed_and_revoked(client, db, headers_for):
    headers_for("leader", username="li")
    r = client.post("/api/v1/auth/token", json={"username": "li", "password": PASSWORD, "days": 2})
    token = r.json()["token"]
    li = {"Authorization": f"Bearer {token}"}
    mine = client.get("/api/v1/tokens", headers=li).json()
    assert [t["name"] for t in mine] == ["api", "test"]
    assert "token" not in mine[0]
    assert timedelta(days=1) < _expires(mine[0]) - auth.wall_now() <= timedelta(days=2)
    assert timedelta(days=29) < _expires(mine[1]) - auth.wall_now() <= timedelta(days=30)
    admin = headers_for("admin")
    assert len(client.get("/api/v1/tokens", headers=admin).json()) == 3
    other = headers_for("member")
    assert client.delete(f"/api/v1/tokens/{mine[0]['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/tokens/{mine[0]['id']}", headers=li).status_code == 204
    assert client.get("/api/v1/me", headers=li).status_code == 401
    expired = headers_for("viewer")
    with db.transaction() as s:
        s.execute(update(ApiToken).values(expires_at=auth.wall_now() - timedelta(seconds=1)))
    r = client.get("/api/v1/me", headers=expired)
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    r = client.post("/api/v1/auth/token", json={"username": "li", "password": PASSWORD, "days": 400})
    assert r.status_code == 422 and r.json()["error"]["field"] == "days"


def _expires(info: dict[str, str]):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(info["expires_at"])


def test_admin_page_deactivates_changes_role_and_password(client, db, clock):
    admin = make_user(db, clock, "admin")
    member = make_user(db, clock, "member")
    csrf = login(client, admin)
    r = client.post(f"/admin/users/{member}/role", data={"csrf_token": csrf, "role": "viewer"})
    assert r.status_code == 200 and "角色已更改" in r.text
    r = client.post(f"/admin/users/{member}/password", data={"csrf_token": csrf, "password": "qwertyuiop"})
    assert "密码太常见或太简单" in r.text
    r = client.post(f"/admin/users/{member}/password", data={"csrf_token": csrf, "password": "Member-new-7"})
    assert "密码已更改" in r.text
    r = client.post(f"/admin/users/{member}/active", data={"csrf_token": csrf, "active": "0"})
    assert f'<tr class="inactive" data-user="{member}">' in r.text
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.username == member))
        assert user is not None and (user.role, user.active) == ("viewer", False)
        assert auth.verify_password(user.password_hash, "Member-new-7")


# --- item 13: no password on the command line ----------------------------------------------------


def cli(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "peakguard.cli", *args], env=env, input=stdin, capture_output=True, text=True
    )


def test_the_cli_asks_for_the_password_or_reads_it_from_stdin(db_url, db):
    asked = cli(db_url, "user", "add", "zhao", "--role", "leader", stdin="Amber-long-pass\nAmber-long-pass\n")
    assert asked.returncode == 0, asked.stderr
    assert "Password" in asked.stdout + asked.stderr and "Amber-long-pass" not in asked.stdout + asked.stderr
    piped = cli(
        db_url, "user", "add", "sun", "--role", "member", "--password-stdin", stdin="Moon-long-pass\n"
    )
    assert piped.returncode == 0, piped.stderr
    weak = cli(db_url, "user", "passwd", "sun", "--password-stdin", stdin="sun-password\n")
    assert weak.returncode == 2 and "username" in weak.stderr
    assert cli(db_url, "user", "passwd", "sun", "--password-stdin", stdin="Moon-newer-pass\n").returncode == 0
    assert cli(db_url, "user", "role", "sun", "viewer").returncode == 0
    assert cli(db_url, "user", "deactivate", "sun").returncode == 0
    assert "deactivated" in cli(db_url, "user", "list").stdout
    token = cli(db_url, "token", "create", "zhao", "--days", "3").stdout.strip()
    listed = cli(db_url, "token", "list", "zhao").stdout
    assert token.startswith("pg_") and token not in listed and "zhao" in listed
    token_id = listed.split()[0]
    assert cli(db_url, "token", "revoke", token_id).returncode == 0
    assert cli(db_url, "token", "list").stdout.strip() == ""
    with db.transaction() as s:
        sun = s.scalar(select(User).where(User.username == "sun"))
        assert sun is not None and (sun.role, sun.active) == ("viewer", False)
        assert auth.verify_password(sun.password_hash, "Moon-newer-pass")


def test_the_readme_accounts_block_runs_as_written(tmp_path):
    from tests.test_ops_readme import bash_blocks, run_block

    (block,) = bash_blocks("### Accounts, sessions and the secret key (issue 13)")
    assert "--password " not in block
    done = run_block(block, tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"qian\s+viewer\s+zh_CN\s+deactivated", done.stdout), done.stdout
    assert re.search(r"\tqian\tdashboard\tcreated ", done.stdout), done.stdout
