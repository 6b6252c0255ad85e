"""`peakguard serve`: the API (and, with the web domain, the pages) plus the background jobs."""

from __future__ import annotations

import logging.config

import typer
import uvicorn

from peakguard.cli_support import open_db
from peakguard.config import get_settings
from peakguard.ops.logs import FORMATS, log_config


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    log_format: str = typer.Option(
        None,
        "--log-format",
        help="text or json (one object per line, with the request id); default PEAKGUARD_LOG_FORMAT or text",
    ),
) -> None:
    """Serve the API under /api/v1 and run the deadline ticker and other background jobs."""
    from peakguard.app import create_app

    fmt = log_format or get_settings().log_format
    if fmt not in FORMATS:
        raise typer.BadParameter(f"one of {', '.join(FORMATS)}", param_hint="--log-format")
    logging.config.dictConfig(log_config(fmt))  # before the app is made: its start-up lines too
    app = create_app(db=open_db(), run_background=True)
    uvicorn.run(app, host=host, port=port, log_config=log_config(fmt), access_log=False)
