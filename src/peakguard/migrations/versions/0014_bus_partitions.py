"""bus partitions: per-partition progress and owner, per-partition counts (issue 14)

Revision ID: 0014_bus_partitions
Revises: 0009
Create Date: 2026-12-02 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_bus_partitions"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bus_partitions",
        sa.Column("stream", sa.String(length=120), nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stream", "partition", name=op.f("pk_bus_partitions")),
    )
    op.create_table(
        "partition_signals",
        sa.Column("stream", sa.String(length=120), nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("oldest", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("stream", "partition", "kind", "scope", name=op.f("pk_partition_signals")),
    )


def downgrade() -> None:
    op.drop_table("partition_signals")
    op.drop_table("bus_partitions")
