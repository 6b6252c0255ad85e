"""stakeholders (issue 17): clients an incident touches, updates for them, the reminder clock

Revision ID: 0017s
Revises: 0004
Create Date: 2026-12-02 10:11:05.919146
"""

import sqlalchemy as sa
from alembic import op

revision = "0017s"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stakeholder_clocks",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_stakeholder_clocks_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_stakeholder_clocks")),
    )
    with op.batch_alter_table("stakeholder_clocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stakeholder_clocks_due_at"), ["due_at"], unique=False)

    op.create_table(
        "stakeholder_links",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_stakeholder_links_client_id_wh_clients")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_stakeholder_links_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", "client_id", name=op.f("pk_stakeholder_links")),
    )
    with op.batch_alter_table("stakeholder_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stakeholder_links_client_id"), ["client_id"], unique=False)

    op.create_table(
        "stakeholder_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_stakeholder_updates_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholder_updates")),
    )
    with op.batch_alter_table("stakeholder_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stakeholder_updates_incident_id"), ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stakeholder_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stakeholder_updates_incident_id"))

    op.drop_table("stakeholder_updates")
    with op.batch_alter_table("stakeholder_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stakeholder_links_client_id"))

    op.drop_table("stakeholder_links")
    with op.batch_alter_table("stakeholder_clocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stakeholder_clocks_due_at"))

    op.drop_table("stakeholder_clocks")
