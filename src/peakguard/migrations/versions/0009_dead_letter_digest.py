"""dead letters stored once: unique by source, line and a digest of the raw row (issue 13 item 11)

Rows stored before this get their digest, and the copies a re-ingest made are removed (the
oldest of each set stays).

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-02 07:40:00
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("monitor_dead_letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, source, line, raw FROM monitor_dead_letters ORDER BY id"))
    seen: set[tuple[str, int, str]] = set()
    digests, copies = [], []
    for row_id, source, line, raw in rows:
        digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]
        if (source, line, digest) in seen:
            copies.append({"i": row_id})
        else:
            seen.add((source, line, digest))
            digests.append({"i": row_id, "d": digest})
    if copies:
        bind.execute(sa.text("DELETE FROM monitor_dead_letters WHERE id = :i"), copies)
    if digests:
        bind.execute(sa.text("UPDATE monitor_dead_letters SET digest = :d WHERE id = :i"), digests)
    with op.batch_alter_table("monitor_dead_letters", schema=None) as batch_op:
        batch_op.alter_column("digest", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_monitor_dead_letters_source"), ["source", "line", "digest"]
        )


def downgrade() -> None:
    with op.batch_alter_table("monitor_dead_letters", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_monitor_dead_letters_source"), type_="unique")
        batch_op.drop_column("digest")
