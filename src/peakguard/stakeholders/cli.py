"""`peakguard stakeholders ...`: the clients an incident touches, a client's incidents, linking a
client by hand and posting an update for the touched clients (issue 17)."""

from __future__ import annotations

import typer
from rich.table import Table

from peakguard.cli_support import cli_actor, console, open_db
from peakguard.clock import SystemClock
from peakguard.errors import InvalidInput
from peakguard.plan.service import current_plan
from peakguard.stakeholders import service
from peakguard.warehouse.models import Client

app = typer.Typer(help="Shops and 3PL clients told of the incidents touching their goods.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="stakeholders")


@app.command("clients")
def clients_cmd(incident_id: int) -> None:
    """The clients an incident touches and how many of their parcels or orders it counts."""
    table = Table("client", "name", "parcels/orders", "how")
    with open_db().transaction() as session:
        for client, link in service.clients_of(session, incident_id):
            table.add_row(client.code, client.name, str(link.matched), link.how)
    console.print(table)


@app.command("incidents")
def incidents_cmd(client: str = typer.Argument(..., help="the client's code")) -> None:
    """What a client sees in its portal: the incidents touching its goods and the updates."""
    table = Table("incident", "kind", "area", "level", "status", "latest update")
    with open_db().transaction() as session:
        row = session.query(Client).filter(Client.code == client).one_or_none()
        if row is None:
            raise InvalidInput("client", "no client with code {client!r}", client=client)
        for c in service.for_client(session, cli_actor(), row.id):
            latest = c.updates[0].text if c.updates else ""
            table.add_row(
                str(c.incident.id),
                c.incident.kind,
                c.incident.area,
                c.incident.level,
                c.incident.status,
                latest,
            )
    console.print(table)


@app.command("link")
def link_cmd(incident_id: int, client: str = typer.Argument(..., help="the client's code")) -> None:
    """Link a client the detectors could not match (a manual report)."""
    with open_db().transaction() as session:
        service.link_client(session, cli_actor(), SystemClock().now(), incident_id, client)
    console.print(f"incident {incident_id} touches {client}")


@app.command("update")
def update_cmd(incident_id: int, text: str = typer.Argument(..., help="what the clients are told")) -> None:
    """Post an update for the touched clients; the next reminder is one interval from now."""
    with open_db().transaction() as session:
        row = service.post_update(
            session, cli_actor(), SystemClock().now(), current_plan(), incident_id, text
        )
    console.print(f"[green]update {row.id}[/green] on incident {incident_id} for its clients")
