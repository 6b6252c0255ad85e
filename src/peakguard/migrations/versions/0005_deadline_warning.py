"""incident deadlines remember when the handler was told the deadline is near (S3.4)

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident_deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incident_deadlines", schema=None) as batch_op:
        batch_op.drop_column("warned_at")
