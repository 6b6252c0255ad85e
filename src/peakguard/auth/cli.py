"""`peakguard user add|list` and `peakguard token create`."""

from __future__ import annotations

import typer

from peakguard.auth import service
from peakguard.cli_support import cli_actor, console, open_db
from peakguard.clock import SystemClock

user_app = typer.Typer(help="Users and roles.")
token_app = typer.Typer(help="API tokens.")


def register(root: typer.Typer) -> None:
    root.add_typer(user_app, name="user")
    root.add_typer(token_app, name="token")


@user_app.command("add")
def add(
    username: str,
    role: str = typer.Option(..., help="admin, leader, deputy, member, warehouse, client, viewer"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    display_name: str = typer.Option("", "--name"),
    language: str = typer.Option("zh_CN", "--lang"),
    client_id: int | None = typer.Option(None, help="for role client: the warehouse client"),
) -> None:
    """Create a user with a role."""
    with open_db().transaction() as session:
        user = service.create_user(
            session,
            cli_actor(),
            SystemClock().now(),
            username=username,
            password=password,
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
            console.print(
                f"{user.username}\t{user.role}\t{user.language}\t{'active' if user.active else 'off'}"
            )


@token_app.command("create")
def create(username: str, name: str = typer.Option("cli", help="what the token is for")) -> None:
    """Issue an API token for a user; it is printed once and never stored in clear."""
    with open_db().transaction() as session:
        token = service.create_token(session, cli_actor(), SystemClock().now(), username=username, name=name)
    print(token)
