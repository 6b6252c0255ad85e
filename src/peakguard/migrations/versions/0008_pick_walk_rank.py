"""pick tasks keep their place in the wave's walking order, indexed (S2.9: next task per scan)

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-25 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wh_pick_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("walk_rank", sa.Integer(), nullable=True))
        batch_op.create_index("ix_wh_pick_tasks_walk", ["wave_id", "status", "walk_rank"])
    released = op.get_bind().execute(
        sa.text(
            "SELECT t.id, t.wave_id FROM wh_pick_tasks t JOIN wh_locations l ON l.id = t.location_id"
            " WHERE t.wave_id IS NOT NULL ORDER BY t.wave_id, l.code, t.id"
        )
    )
    ranks, wave, rank = [], None, 0
    for task_id, wave_id in released:
        rank = rank + 1 if wave_id == wave else 0
        wave = wave_id
        ranks.append({"task_id": task_id, "rank": rank})
    if ranks:
        op.get_bind().execute(
            sa.text("UPDATE wh_pick_tasks SET walk_rank = :rank WHERE id = :task_id"), ranks
        )


def downgrade() -> None:
    with op.batch_alter_table("wh_pick_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_wh_pick_tasks_walk")
        batch_op.drop_column("walk_rank")
