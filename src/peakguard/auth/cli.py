"""`peakguard user add|list|passwd|role|deactivate|activate` and `peakguard token
create|list|revoke`. Every change is audited under the OS user who ran the command.

A password is never needed on the command line (where it would land in the shell history and in
``ps``): the commands prompt for it, hidden and twice, or read one line from standard input with
``--password-stdin`` for scripts."""

from __future__ import annotations

import sys

import typer

from peakguard.auth import service
from peakguard.cli_support import cli_actor, console, open_db
from peakguard.clock import SystemClock
from peakguard.config import get_settings
from peakguard.errors import InvalidInput

user_app = typer.Typer(help="Users and roles.")
token_app = typer.Typer(help="API tokens.")

PASSWORD_STDIN = typer.Option(False, "--password-stdin", help="read the password from standard input")


def register(root: typer.Typer) -> None:
    root.add_typer(user_app, name="user")
    root.add_typer(token_app, name="token")


def _password(given: str | None, from_stdin: bool) -> str:
    if given is not None:
        return given
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput("password", "--password-stdin read nothing")
        return line
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def add(
    username: str,
    role: str = typer.Option(..., help="admin, leader, deputy, member, warehouse, client, viewer"),
    password: str | None = typer.Option(
        None, help="avoid: it stays in the shell history; leave out to be asked, or --password-stdin"
    ),
    password_stdin: bool = PASSWORD_STDIN,
    display_name: str = typer.Option("", "--name"),
    language: str = typer.Option("zh_CN", "--lang"),
    client_id: int | None = typer.Option(None, help="for role client: the warehouse client"),
) -> None:
    """Create a user with a role (asks for the password, hidden, twice)."""
    secret = _password(password, password_stdin)
    with open_db().transaction() as session:
        user = service.create_user(
            session,
            cli_actor(),
            SystemClock().now(),
            username=username,
            password=secret,
            role=role,
            display_name=display_name,
            language=language,
            client_id=client_id,
        )
        console.print(f"[green]user {user.username} ({user.role}) created[/green]")


@user_app.command("list")
def list_users() -> None:
    with open_db().transaction() as session:
        for user in service.list_users(session):
            state = "active" if user.active else "deactivated"
            if user.locked_until is not None and user.locked_until > service.wall_now():
                state += f", locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
            console.print(f"{user.username}\t{user.role}\t{user.language}\t{state}")


@user_app.command("passwd")
def passwd(username: str, password_stdin: bool = PASSWORD_STDIN) -> None:
    """Set a new password (asks for it); the user's page sessions end."""
    secret = _password(None, password_stdin)
    with open_db().transaction() as session:
        service.set_password(session, cli_actor(), SystemClock().now(), username, secret)
    console.print(f"[green]password of {username} changed; their sessions ended[/green]")


@user_app.command("role")
def role(
    username: str,
    new_role: str = typer.Argument(..., metavar="ROLE"),
    client_id: int | None = typer.Option(None, help="for role client: the warehouse client"),
) -> None:
    """Give a user another role."""
    with open_db().transaction() as session:
        service.set_role(session, cli_actor(), SystemClock().now(), username, new_role, client_id)
    console.print(f"[green]{username} is now {new_role}[/green]")


@user_app.command("deactivate")
def deactivate(username: str) -> None:
    """Stop a user: no login, and their sessions and tokens stop working at once."""
    with open_db().transaction() as session:
        service.set_active(session, cli_actor(), SystemClock().now(), username, False)
    console.print(f"[green]{username} deactivated; sessions ended, tokens revoked[/green]")


@user_app.command("activate")
def activate(username: str) -> None:
    """Let a deactivated user log in again (with new tokens: the old ones stay revoked)."""
    with open_db().transaction() as session:
        service.set_active(session, cli_actor(), SystemClock().now(), username, True)
    console.print(f"[green]{username} active[/green]")


@token_app.command("create")
def create(
    username: str,
    name: str = typer.Option("cli", help="what the token is for"),
    days: int | None = typer.Option(None, help="how long it works (default PEAKGUARD_TOKEN_DAYS, 30)"),
) -> None:
    """Issue an API token for a user; it is printed once and never stored in clear."""
    with open_db().transaction() as session:
        token = service.create_token(
            session,
            cli_actor(),
            SystemClock().now(),
            username=username,
            name=name,
            days=days or get_settings().token_days,
        )
    print(token)


@token_app.command("list")
def list_tokens(username: str | None = typer.Argument(None)) -> None:
    """Tokens that still work (never the tokens themselves: only their hashes are kept)."""
    with open_db().transaction() as session:
        for token in service.list_tokens(session, username):
            print(
                f"{token.id}\t{token.user.username}\t{token.name}\t"
                f"created {token.created_at:%Y-%m-%d %H:%M}\texpires {token.expires_at:%Y-%m-%d %H:%M} UTC"
            )


@token_app.command("revoke")
def revoke(token_id: int) -> None:
    with open_db().transaction() as session:
        service.revoke_token(session, cli_actor(), SystemClock().now(), token_id)
    console.print(f"[green]token {token_id} revoked[/green]")
