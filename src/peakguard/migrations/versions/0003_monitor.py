"""monitor events, dead letters, detection checkpoint, compensation register (S3.3, S1.2, S1.5, S1.8)

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 03:09:42.006543
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compensation_register",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=80), nullable=False),
        sa.Column("shop", sa.String(length=64), nullable=False),
        sa.Column("order_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation_register")),
        sa.UniqueConstraint("order_id", name=op.f("uq_compensation_register_order_id")),
    )
    with op.batch_alter_table("compensation_register", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compensation_register_shop"), ["shop"], unique=False)
        batch_op.create_index(batch_op.f("ix_compensation_register_status"), ["status"], unique=False)

    op.create_table(
        "detector_signals",
        sa.Column("key", sa.String(length=140), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_detector_signals")),
    )
    op.create_table(
        "monitor_dead_letters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_dead_letters")),
    )
    with op.batch_alter_table("monitor_dead_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitor_dead_letters_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "monitor_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_monitor_events_event_id")),
    )
    with op.batch_alter_table("monitor_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monitor_events_scope"), ["scope"], unique=False)
        batch_op.create_index("ix_monitor_events_type_ts", ["type", "ts"], unique=False)

    op.create_table(
        "order_state",
        sa.Column("order_id", sa.String(length=80), nullable=False),
        sa.Column("shop", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("coupon_error", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_state")),
    )
    with op.batch_alter_table("order_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_state_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_state_shop"), ["shop"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_state_status"), ["status"], unique=False)

    op.create_table(
        "parcel_state",
        sa.Column("parcel_id", sa.String(length=80), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("exception", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("parcel_id", name=op.f("pk_parcel_state")),
    )
    with op.batch_alter_table("parcel_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcel_state_area"), ["area"], unique=False)
        batch_op.create_index(batch_op.f("ix_parcel_state_ts"), ["ts"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parcel_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parcel_state_ts"))
        batch_op.drop_index(batch_op.f("ix_parcel_state_area"))

    op.drop_table("parcel_state")
    with op.batch_alter_table("order_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_state_status"))
        batch_op.drop_index(batch_op.f("ix_order_state_shop"))
        batch_op.drop_index(batch_op.f("ix_order_state_created_at"))

    op.drop_table("order_state")
    with op.batch_alter_table("monitor_events", schema=None) as batch_op:
        batch_op.drop_index("ix_monitor_events_type_ts")
        batch_op.drop_index(batch_op.f("ix_monitor_events_scope"))

    op.drop_table("monitor_events")
    with op.batch_alter_table("monitor_dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitor_dead_letters_received_at"))

    op.drop_table("monitor_dead_letters")
    op.drop_table("detector_signals")
    with op.batch_alter_table("compensation_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensation_register_status"))
        batch_op.drop_index(batch_op.f("ix_compensation_register_shop"))

    op.drop_table("compensation_register")
