"""site_heard: when each site was heard, for the heartbeat; parcel_state loses its time index (issue 14)

The time index on ``parcel_state`` was written by every upsert (40% of its cost on SQLite) and
read only by the heartbeat, which now reads a few rows per site. Without it no index column of
``parcel_state`` changes when a parcel is scanned again, so on PostgreSQL its pages keep room
(fillfactor 70) for that update to stay on its page (HOT).

Revision ID: 0014s
Revises: 0014i
Create Date: 2026-12-03 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014s"
down_revision = "0014i"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_heard",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_heard")),
    )
    op.create_index("ix_site_heard_site_ts", "site_heard", ["site", "ts"], unique=False)
    op.execute("INSERT INTO site_heard (site, ts) SELECT site, max(ts) FROM parcel_state GROUP BY site")
    with op.batch_alter_table("parcel_state", schema=None) as batch_op:
        batch_op.drop_index("ix_parcel_state_ts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE parcel_state SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE parcel_state RESET (fillfactor)")
    with op.batch_alter_table("parcel_state", schema=None) as batch_op:
        batch_op.create_index("ix_parcel_state_ts", ["ts"], unique=False)
    op.drop_index("ix_site_heard_site_ts", table_name="site_heard")
    op.drop_table("site_heard")
