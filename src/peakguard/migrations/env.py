"""Alembic environment: runs on the connection the caller hands over (see ``db.upgrade``) or on
the URL in the config, so migrations apply the same way from ``serve``, the CLI and tests."""

from typing import Any, Literal

from alembic import context
from sqlalchemy import create_engine

import peakguard.models  # noqa: F401  (fills Base.metadata)
from peakguard.db import Base, UTCDateTime, normalise_url

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write ``UTCDateTime`` columns as plain ``sa.DateTime(timezone=True)`` in migrations: the
    conversion is Python-side only, and migrations must not import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.begin() as conn:
        context.configure(
            connection=conn, target_metadata=target_metadata, render_as_batch=True, render_item=render_item
        )
        with context.begin_transaction():
            context.run_migrations()


run()
