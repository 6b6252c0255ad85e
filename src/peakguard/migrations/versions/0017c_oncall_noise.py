"""on call (issue 17): maintenance windows and feed heartbeats

Revision ID: 0017c
Revises: 0017b
Create Date: 2026-12-02 08:27:38.988944
"""

import sqlalchemy as sa
from alembic import op

revision = "0017c"
down_revision = "0017b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_maintenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_maintenance")),
    )
    with op.batch_alter_table("oncall_maintenance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_maintenance_end_at"), ["end_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_maintenance_scope"), ["scope"], unique=False)

    op.create_table(
        "oncall_feeds",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_oncall_feeds_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_oncall_feeds")),
    )


def downgrade() -> None:
    op.drop_table("oncall_feeds")
    with op.batch_alter_table("oncall_maintenance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_maintenance_scope"))
        batch_op.drop_index(batch_op.f("ix_oncall_maintenance_end_at"))

    op.drop_table("oncall_maintenance")
