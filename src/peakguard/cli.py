"""The ``peakguard`` command: one Typer root that mounts each domain's commands, importing a
domain only when one of its commands runs (:class:`LazyRoot`). A domain error prints its field
and reason (in ``--lang`` / ``PEAKGUARD_LANG``, English by default) and exits 2, having changed
nothing (the transaction rolls back).

A new command goes into the domain's ``register`` (or ``app``) as before, and into
:data:`COMMANDS` here; ``tests/test_cli_startup.py`` fails until both agree."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

SOURCES: dict[str, tuple[str, str | None]] = {
    "incidents": ("peakguard.incidents.cli", None),
    "monitor": ("peakguard.monitor.cli", None),
    "monitor-stored": ("peakguard.monitor.stored_cli", None),
    "readiness": ("peakguard.readiness.cli", None),
    "sim": ("peakguard.sim.cli", None),
    "demo": ("peakguard.demo.cli", None),
    "serve": ("peakguard.serve_cli", None),
    "ops": ("peakguard.ops.cli", None),
    "plan": ("peakguard.plan.cli", "plan"),
    "roster": ("peakguard.roster.cli", "roster"),
    "compensation": ("peakguard.compensation.cli", "compensation"),
    "notify": ("peakguard.notify.cli", "notify"),
    "chat": ("peakguard.chatops.cli", "chat"),
    "printing": ("peakguard.printing.cli", "print"),
    "auth": ("peakguard.auth.cli", None),
    "oncall": ("peakguard.oncall.cli", None),
    "warehouse": ("peakguard.warehouse.cli", None),
    "scorecard": ("peakguard.scorecard.cli", None),
    "stakeholders": ("peakguard.stakeholders.cli", None),
}
"""Where each domain's commands live: a module with ``register(root)``, or (with a name) a
module whose ``app`` is mounted under that name."""

COMMANDS: dict[str, tuple[str, str]] = {
    "tick": (
        "incidents",
        "Escalate every incident past its deadline, exactly once (for drills, tests and cron).",
    ),
    "ingest": (
        "monitor",
        "Load an event file (NDJSON, CSV or Parquet) idempotently; bad rows go to dead letters.",
    ),
    "detect": ("monitor", "Offline detection over a file: no server, no database."),
    "chase-list": ("monitor-stored", "S1.8: orders created and still unpaid after the plan's delay, largest first."),
    "dead-letters": ("monitor-stored", ""),
    "monitor": (
        "monitor",
        "Consume events from NATS JetStream: ingest, detect, then acknowledge, batch by batch.",
    ),
    "publish": ("monitor", "Send an event file (NDJSON, CSV, Parquet; e.g."),
    "drill": (
        "readiness",
        "Inject a simulated fault into the running system and time the team's answer against the deadline.",
    ),
    "sim": ("sim", "Generate a synthetic peak day (S1.8 curve) with injected faults and its truth file."),
    "replay": ("sim", "Stream an event file into a running server, paced by the events' timestamps."),
    "demo": ("demo", "A live demo of a simulated peak day on the embedded default (SQLite)."),
    "serve": ("serve", "Serve the API under /api/v1 and run the deadline ticker and other background jobs."),
    "backup": ("ops", "Back up the database while the server runs: one consistent moment of it, in FILE."),
    "restore": ("ops", "Replace the database's contents with FILE's, then migrate to this version's schema."),
    "plan": ("plan", "The emergency plan: check a plan file, show the levels and kinds."),
    "roster": ("roster", "The roster: people, roles, contact channels, availability."),
    "compensation": (
        "compensation",
        "Coupon compensation register (S1.5): affected orders, method, amount, paid.",
    ),
    "notify": ("notify", "Notifications: the outbox and its delivery log."),
    "chat": ("chat", "Acting on incidents from DingTalk, WeCom and Feishu: set-up and commands."),
    "print": ("printing", "Printing over CUPS: printers, the print queue, failover (S1.6)."),
    "user": ("auth", "Users and roles."),
    "token": ("auth", "API tokens."),
    "incident": ("incidents", "Graded incidents (S3.3-S3.7): open, acknowledge, resolve, review."),
    "events": ("monitor-stored", "Raw events: retention."),
    "oncall": ("oncall", "On call: rotations, overrides, swaps, who is on duty now and next."),
    "readiness": ("readiness", "Readiness before the day (S1.1-S1.7) and the day's timeline (S1.8)."),
    "warehouse": ("warehouse", "The overflow warehouse as a 3PL service (S2.1-S2.11)."),
    "scorecard": ("scorecard", "The numbers that drive the penalty ladder (S3.7): response times, outlet scorecard."),
    "stakeholders": ("stakeholders", "Shops and 3PL clients told of the incidents touching their goods."),
}
"""Each command, the domain it comes from and its one-line help, so that ``peakguard --help``
and the start of every command import only the domain that runs (issue 14: the CLI started in
1.8 s, 1.4 s of it importing Numba, Polars and every domain). A test checks this table against
the domains' own commands."""


class LazyRoot(TyperGroup):
    """The root group: lists :data:`COMMANDS` from the table and imports a domain only when
    one of its commands runs (or its own ``--help`` is asked for)."""

    listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        source, short = COMMANDS[cmd_name]
        if self.listing:
            return TyperCommand(cmd_name, help=short, short_help=short)
        return domain_group(source).commands[cmd_name]


def domain_group(source: str) -> Any:
    """One domain's commands as a click group (importing the domain)."""
    module_name, mount = SOURCES[source]
    module = import_module(module_name)
    holder = typer.Typer()
    if mount is None:
        module.register(holder)
    else:
        holder.add_typer(module.app, name=mount)
    return typer.main.get_group(holder)


app = typer.Typer(
    cls=LazyRoot,
    help="PeakGuard: keep a Double 11 peak day under control.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")

chosen_language: dict[str, str | None] = {"lang": None}
"""The ``--lang`` the root was given (or ``PEAKGUARD_LANG``): the language :func:`main` says a
domain error in; None keeps the English the rest of the CLI prints."""


@app.callback()
def root(
    lang: str | None = typer.Option(
        None, "--lang", envvar="PEAKGUARD_LANG", help="Language of error messages: zh_CN or en (default: en)."
    ),
) -> None:
    """PeakGuard: keep a Double 11 peak day under control."""
    chosen_language["lang"] = lang


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (also done automatically on start)."""
    from peakguard.cli_support import err_console, open_db

    db = open_db()
    err_console.print(f"[green]database at newest schema[/green] ({db.dialect})")


def main() -> None:
    try:
        app()
    except Exception as exc:
        from peakguard.errors import DomainError  # imported only when something went wrong

        if not isinstance(exc, DomainError):
            raise
        from peakguard.cli_support import err_console
        from peakguard.i18n import error_text

        err_console.print(f"[red]error[/red] ({exc.code}) {error_text(chosen_language['lang'], exc)}")
        sys.exit(2)


if __name__ == "__main__":
    main()
