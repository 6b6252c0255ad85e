"""`peakguard serve`: the API (and, with the web domain, the pages) plus the background jobs."""

from __future__ import annotations

import typer
import uvicorn

from peakguard.cli_support import open_db


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """Serve the API under /api/v1 and run the deadline ticker and other background jobs."""
    from peakguard.app import create_app

    app = create_app(db=open_db(), run_background=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
