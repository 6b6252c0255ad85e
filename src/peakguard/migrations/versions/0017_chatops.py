"""on call, acting from the chat and phone/SMS (issue 17): chat user ids and quiet hours on the
roster, each message's incident level, and the signed chat requests already acted on

Revision ID: 0017_chatops
Revises: 0001
Create Date: 2026-12-02 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_chatops"
down_revision = "0001"
branch_labels = None
depends_on = None

CHAT_IDS = ("dingtalk_id", "wecom_id", "feishu_id")


def upgrade() -> None:
    with op.batch_alter_table("roster_people", schema=None) as batch_op:
        for column in CHAT_IDS:
            batch_op.add_column(sa.Column(column, sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(f"uq_roster_people_{column}", [column])
        batch_op.add_column(sa.Column("quiet_hours", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.String(length=20), nullable=True))
    op.create_table(
        "chat_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_requests")),
        sa.UniqueConstraint("platform", "digest", name="uq_chat_requests_digest"),
    )


def downgrade() -> None:
    op.drop_table("chat_requests")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("level")
    with op.batch_alter_table("roster_people", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("quiet_hours")
        for column in reversed(CHAT_IDS):
            batch_op.drop_constraint(f"uq_roster_people_{column}", type_="unique")
            batch_op.drop_column(column)
