"""`peakguard roster add|list|duty`."""

from __future__ import annotations

import typer
from rich.table import Table

from peakguard.cli_support import cli_actor, console, open_db
from peakguard.clock import SystemClock
from peakguard.plan.service import current_plan
from peakguard.roster import service

app = typer.Typer(
    help="The roster: people, roles, contact channels, availability. Who is on duty comes from "
    "`peakguard oncall` (rotations, overrides)."
)


@app.command("add")
def add(
    name: str,
    role: str = typer.Option(..., help="member, deputy, leader or authority"),
    channel: list[str] = typer.Option([], help="Apprise URL, repeatable, tried in order"),
    language: str = typer.Option("zh_CN", "--lang"),
    priority: int = typer.Option(100, help="lower is tried first within the role"),
    off_duty: bool = typer.Option(False, "--off-duty", help="unavailable from the start (leave, sick)"),
) -> None:
    with open_db().transaction() as session:
        person = service.add_person(
            session,
            cli_actor(),
            SystemClock().now(),
            current_plan(),
            name=name,
            role=role,
            channels=channel,
            language=language,
            priority=priority,
            on_duty=not off_duty,
        )
        console.print(f"[green]{person.name} added as {person.role} (id {person.id})[/green]")


@app.command("list")
def list_people() -> None:
    table = Table("id", "name", "role", "available", "language", "channels")
    with open_db().transaction() as session:
        for p in service.list_people(session):
            table.add_row(
                str(p.id), p.name, p.role, "yes" if p.on_duty else "no", p.language, " ".join(p.channels)
            )
    console.print(table)


@app.command("duty")
def duty(person_id: int, on: bool = typer.Option(True, "--on/--off")) -> None:
    """Mark a person available (--on) or away (--off: leave, sick). Away people are skipped even
    where the schedule puts them on duty, so their shifts show as coverage gaps at once; who is
    on duty otherwise comes from the schedule (`peakguard oncall now`)."""
    with open_db().transaction() as session:
        person = service.set_duty(session, cli_actor(), SystemClock().now(), person_id, on)
        console.print(f"{person.name}: {'available' if person.on_duty else 'away (skipped by the schedule)'}")


@app.command("contact")
def contact(
    person: str = typer.Argument(..., help="roster id or name"),
    dingtalk: str | None = typer.Option(None, help="DingTalk user id (senderStaffId); '' clears"),
    wecom: str | None = typer.Option(None, help="WeCom UserID; '' clears"),
    feishu: str | None = typer.Option(None, help="Feishu open_id or user_id; '' clears"),
    quiet: str | None = typer.Option(None, help="quiet hours HH:MM-HH:MM, local time; '' clears"),
    timezone: str | None = typer.Option(None, help="the person's time zone (default the plan's)"),
) -> None:
    """Chat user ids (a command sent from that user acts as this person), quiet hours (no phone
    call or SMS then, unless the level breaks them) and local time zone (issue 17)."""
    from peakguard.oncall.service import find_person

    with open_db().transaction() as session:
        p = service.set_contact(
            session, cli_actor(), SystemClock().now(), find_person(session, person, "person"),
            chat_ids={"dingtalk": dingtalk, "wecom": wecom, "feishu": feishu}, quiet_hours=quiet, timezone=timezone,
        )  # fmt: skip
        ids = ", ".join(f"{k} {v}" for k, v in (("dingtalk", p.dingtalk_id), ("wecom", p.wecom_id), ("feishu", p.feishu_id)) if v)
        console.print(f"{p.name}: chat {ids or '-'}; quiet hours {p.quiet_hours or '-'} {p.timezone or ''}".rstrip())
