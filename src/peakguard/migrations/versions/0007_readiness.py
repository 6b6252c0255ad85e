"""readiness: checklist items with evidence, timeline reminders sent, drills (S1.1-S1.8)

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-25 10:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk", sa.String(length=40), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("owner_role", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=120), nullable=True),
        sa.Column("evidence_note", sa.Text(), nullable=True),
        sa.Column("evidence_name", sa.String(length=200), nullable=True),
        sa.Column("evidence_type", sa.String(length=100), nullable=True),
        sa.Column("evidence_file", sa.LargeBinary(), nullable=True),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["roster_people.id"], name=op.f("fk_readiness_items_owner_id_roster_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_items")),
        sa.UniqueConstraint("template", name=op.f("uq_readiness_items_template")),
    )
    with op.batch_alter_table("readiness_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_readiness_items_risk"), ["risk"], unique=False)
        batch_op.create_index(batch_op.f("ix_readiness_items_due_at"), ["due_at"], unique=False)

    op.create_table(
        "readiness_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_reminders")),
        sa.UniqueConstraint("day", "at", name="uq_readiness_reminder"),
    )

    op.create_table(
        "readiness_drills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_seconds", sa.Integer(), nullable=True),
        sa.Column("resolved_seconds", sa.Integer(), nullable=True),
        sa.Column("deadline_minutes", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_readiness_drills_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_drills")),
    )
    with op.batch_alter_table("readiness_drills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_readiness_drills_scope"), ["scope"], unique=False)


def downgrade() -> None:
    op.drop_table("readiness_drills")
    op.drop_table("readiness_reminders")
    op.drop_table("readiness_items")
