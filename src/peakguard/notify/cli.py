"""`peakguard notify list|deliver|test`: the delivery log, a delivery round now, and a test
message that proves a person's channels before the day."""

from __future__ import annotations

import typer
from rich.table import Table

from peakguard.cli_support import console, open_db
from peakguard.clock import SystemClock
from peakguard.notify import service
from peakguard.notify.delivery import deliver_due
from peakguard.notify.models import Notification
from peakguard.roster import service as roster

app = typer.Typer(help="Notifications: the outbox and its delivery log.")
COLOURS = {"sent": "green", "failed": "red", "no_recipient": "red", "pending": "yellow"}


@app.command("list")
def list_messages(status: str | None = None, limit: int = typer.Option(50, min=1)) -> None:
    table = Table("id", "created", "event", "role", "person", "lang", "subject", "status", "tries", "error")
    with open_db().transaction() as session:
        for n in service.recent(session, status, limit):
            colour = COLOURS.get(n.status, "white")
            table.add_row(
                str(n.id),
                n.created_at.strftime("%m-%d %H:%M:%S"),
                n.event,
                n.role,
                str(n.person_id or "-"),
                n.language,
                n.subject,
                f"[{colour}]{n.status}",
                str(n.attempts),
                n.last_error or "",
            )
    console.print(table)


@app.command("deliver")
def deliver() -> None:
    """One delivery round now (``peakguard serve`` runs one every second)."""
    with open_db().transaction() as session:
        done = deliver_due(session, SystemClock().now())
    console.print(f"sent {done.sent}, retried {done.retried}, failed {done.failed}, handed on {done.handed_on}")


@app.command("test")
def test(person_id: int) -> None:
    """Send a test message to one person through their channels, now, and say what happened."""
    db, now = open_db(), SystemClock().now()
    with db.transaction() as session:
        message_id = service.test_message(session, now, roster.get_person(session, person_id)).id
    with db.transaction() as session:
        deliver_due(session, now)
        message = session.get(Notification, message_id)
        assert message is not None
        colour = COLOURS.get(message.status, "white")
        console.print(f"message {message.id}: [{colour}]{message.status}[/] {message.last_error or ''}")
        if message.status != "sent":
            raise typer.Exit(1)


@app.command("route")
def channel_route(
    person: str = typer.Argument(..., help="roster id or name"),
    level: str | None = typer.Option(None, help="the incident's level (L3, L2, L1, special)"),
    at: str | None = typer.Option(None, help="ISO 8601 time (default now)"),
) -> None:
    """The person's channels in the order they are tried for a message of LEVEL at AT, and why
    a phone call or SMS is skipped (below the plan's level, or their quiet hours)."""
    from peakguard.clock import parse_iso
    from peakguard.notify.channels import route
    from peakguard.notify.delivery import redact
    from peakguard.oncall.service import find_person
    from peakguard.plan.service import current_plan, get_level

    plan = current_plan()
    if level is not None:
        get_level(plan, level)
    when = parse_iso(at) if at else SystemClock().now()
    with open_db().transaction() as session:
        p = roster.get_person(session, find_person(session, person, "person"))
        for i, choice in enumerate(route(p, level, "incident", plan, when), start=1):
            mark = "[green]try[/green]" if choice.use else f"[yellow]skip[/yellow] ({choice.why})"
            console.print(f"{i}. {redact(choice.url)} {mark}")
