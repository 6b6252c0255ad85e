"""The ``peakguard`` command: one Typer root that mounts each domain's commands. A domain error
prints its field and reason and exits 2, having changed nothing (the transaction rolls back)."""

from __future__ import annotations

import sys

import typer

from peakguard.auth.cli import register as register_auth
from peakguard.cli_support import err_console, open_db
from peakguard.compensation.cli import app as compensation_app
from peakguard.demo.cli import register as register_demo
from peakguard.errors import DomainError
from peakguard.incidents.cli import register as register_incidents
from peakguard.monitor.cli import register as register_monitor
from peakguard.notify.cli import app as notify_app
from peakguard.oncall.cli import register as register_oncall
from peakguard.ops.cli import register as register_ops
from peakguard.plan.cli import app as plan_app
from peakguard.printing.cli import app as printing_app
from peakguard.readiness.cli import register as register_readiness
from peakguard.roster.cli import app as roster_app
from peakguard.serve_cli import register as register_serve
from peakguard.sim.cli import register as register_sim
from peakguard.warehouse.cli import register as register_warehouse

app = typer.Typer(
    help="PeakGuard: keep a Double 11 peak day under control.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")
app.add_typer(roster_app, name="roster")
app.add_typer(compensation_app, name="compensation")
app.add_typer(notify_app, name="notify")
app.add_typer(printing_app, name="print")
register_auth(app)
register_incidents(app)
register_monitor(app)
register_oncall(app)
register_readiness(app)
register_sim(app)
register_warehouse(app)
register_demo(app)
register_serve(app)
register_ops(app)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (also done automatically on start)."""
    db = open_db()
    err_console.print(f"[green]database at newest schema[/green] ({db.dialect})")


def main() -> None:
    try:
        app()
    except DomainError as exc:
        err_console.print(f"[red]error[/red] ({exc.code}) {exc.message}")
        sys.exit(2)


if __name__ == "__main__":
    main()
