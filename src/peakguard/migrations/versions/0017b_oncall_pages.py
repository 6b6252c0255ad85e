"""on call (issue 17): pages of the escalation until acknowledged, one row each

Revision ID: 0017b
Revises: 0017
Create Date: 2026-12-02 07:32:17.549941
"""

import sqlalchemy as sa
from alembic import op

revision = "0017b"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("chain", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("paged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_oncall_pages_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_oncall_pages_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["roster_people.id"], name=op.f("fk_oncall_pages_person_id_roster_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_pages")),
        sa.UniqueConstraint("incident_id", "chain", "step", name="uq_oncall_page_step"),
    )
    with op.batch_alter_table("oncall_pages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_pages_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_pages_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_pages_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oncall_pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_pages_state"))
        batch_op.drop_index(batch_op.f("ix_oncall_pages_incident_id"))
        batch_op.drop_index(batch_op.f("ix_oncall_pages_due_at"))

    op.drop_table("oncall_pages")
