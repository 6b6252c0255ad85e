"""on call (issue 17): mutes, an inhibition rule's or a person's snooze

Revision ID: 0017d
Revises: 0017c
Create Date: 2026-12-02 10:11:05.919146
"""

import sqlalchemy as sa
from alembic import op

revision = "0017d"
down_revision = "0017c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_oncall_mutes_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["incidents.id"], name=op.f("fk_oncall_mutes_source_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_mutes")),
        sa.UniqueConstraint("open_key", name=op.f("uq_oncall_mutes_open_key")),
    )
    with op.batch_alter_table("oncall_mutes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_mutes_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_mutes_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oncall_mutes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_mutes_source_id"))
        batch_op.drop_index(batch_op.f("ix_oncall_mutes_incident_id"))

    op.drop_table("oncall_mutes")
