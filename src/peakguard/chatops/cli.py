"""`peakguard chat status|command`: which chat platforms will be believed, and a chat command
run as the person a chat user id names (what the robot does with a verified message)."""

from __future__ import annotations

import typer
from rich.table import Table

from peakguard.cli_support import console, open_db
from peakguard.clock import SystemClock
from peakguard.config import get_settings

app = typer.Typer(help="Acting on incidents from DingTalk, WeCom and Feishu: set-up and commands.")
PLATFORMS = ("dingtalk", "wecom", "feishu")


@app.command("status")
def status() -> None:
    """Each platform's callback path and whether its secrets are set (never their values), and
    the people each platform can name."""
    from peakguard.roster import service as roster

    s = get_settings()
    ready: dict[str, list[tuple[str, object]]] = {
        "dingtalk": [("PEAKGUARD_CHAT_DINGTALK_SECRET", s.chat_dingtalk_secret)],
        "wecom": [
            ("PEAKGUARD_CHAT_WECOM_TOKEN", s.chat_wecom_token),
            ("PEAKGUARD_CHAT_WECOM_AES_KEY", s.chat_wecom_aes_key),
            ("PEAKGUARD_CHAT_WECOM_CORP_ID", s.chat_wecom_corp_id),
        ],
        "feishu": [("PEAKGUARD_CHAT_FEISHU_ENCRYPT_KEY", s.chat_feishu_encrypt_key)],
    }
    with open_db().transaction() as session:
        people = roster.list_people(session)
        table = Table("platform", "callback", "secrets", "people")
        for platform in PLATFORMS:
            missing = [name for name, value in ready[platform] if not value]
            named = [p.name for p in people if getattr(p, f"{platform}_id")]
            table.add_row(
                platform,
                f"/api/v1/chat/{platform}",
                "[green]set[/green]" if not missing else "[red]missing " + ", ".join(missing) + "[/red]",
                ", ".join(named) or "-",
            )
    console.print(table)


@app.command("command")
def command(
    text: str = typer.Argument(..., help="e.g. 'ack 12', 'resolve 12 restarted the scanner', 'step 12'"),
    platform: str = typer.Option(..., help="dingtalk, wecom or feishu"),
    user: str = typer.Option(..., help="the chat user id, as the platform sends it"),
) -> None:
    """Run a chat command as the person whose id on the platform is USER, exactly as a verified
    message from that user would (the local operator may already do anything; this checks a
    person's chat id and the commands before the day)."""
    from peakguard.chatops import service

    if platform not in PLATFORMS:
        raise typer.BadParameter(f"one of {', '.join(PLATFORMS)}", param_hint="--platform")
    with open_db().transaction() as session:
        console.print(service.act(session, SystemClock().now(), platform, [user], text))
