"""on call (issue 17): rotations, overrides and swaps, hand-overs sent, calendar tokens

Revision ID: 0017
Revises: 0001
Create Date: 2026-12-02 07:20:48.643926
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("shifts", sa.JSON(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_rotations")),
    )
    with op.batch_alter_table("oncall_rotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_rotations_role"), ["role"], unique=False)

    op.create_table(
        "oncall_calendar_tokens",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["roster_people.id"],
            name=op.f("fk_oncall_calendar_tokens_person_id_roster_people"),
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_oncall_calendar_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oncall_calendar_tokens_token_hash")),
    )
    op.create_table(
        "oncall_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open_incidents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["roster_people.id"], name=op.f("fk_oncall_handovers_person_id_roster_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_handovers")),
        sa.UniqueConstraint("role", "at", "person_id", name="uq_oncall_handover"),
    )
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("swap_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["roster_people.id"], name=op.f("fk_oncall_overrides_person_id_roster_people")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["roster_people.id"], name=op.f("fk_oncall_overrides_replaces_id_roster_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_overrides_end_at"), ["end_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_overrides_role"), ["role"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_overrides_start_at"), ["start_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_overrides_start_at"))
        batch_op.drop_index(batch_op.f("ix_oncall_overrides_role"))
        batch_op.drop_index(batch_op.f("ix_oncall_overrides_end_at"))

    op.drop_table("oncall_overrides")
    op.drop_table("oncall_handovers")
    op.drop_table("oncall_calendar_tokens")
    with op.batch_alter_table("oncall_rotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_rotations_role"))

    op.drop_table("oncall_rotations")
