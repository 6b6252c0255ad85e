"""monitor events: scans keep two indexes, shop events a partial one; parcel area unindexed (issue 14)

Every index is written for every row; at a carrier's rate the two on every scan that only the
shops' queries read were most of the store's cost.

Revision ID: 0014i
Revises: 0014_bus_partitions
Create Date: 2026-12-02 17:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014i"
down_revision = "0014_bus_partitions"
branch_labels = None
depends_on = None

SHOP_EVENTS = "type <> 'scan'"


def upgrade() -> None:
    with op.batch_alter_table("monitor_events", schema=None) as batch_op:
        batch_op.drop_index("ix_monitor_events_type_ts")
        batch_op.drop_index("ix_monitor_events_scope")
        batch_op.create_index(
            "ix_monitor_events_shop_type_ts",
            ["type", "ts"],
            unique=False,
            sqlite_where=sa.text(SHOP_EVENTS),
            postgresql_where=sa.text(SHOP_EVENTS),
        )
    with op.batch_alter_table("parcel_state", schema=None) as batch_op:
        batch_op.drop_index("ix_parcel_state_area")


def downgrade() -> None:
    with op.batch_alter_table("parcel_state", schema=None) as batch_op:
        batch_op.create_index("ix_parcel_state_area", ["area"], unique=False)
    with op.batch_alter_table("monitor_events", schema=None) as batch_op:
        batch_op.drop_index("ix_monitor_events_shop_type_ts")
        batch_op.create_index("ix_monitor_events_scope", ["scope"], unique=False)
        batch_op.create_index("ix_monitor_events_type_ts", ["type", "ts"], unique=False)
