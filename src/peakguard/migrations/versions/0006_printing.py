"""printing: printers (CUPS queues), print jobs and their attempts (S1.6)

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-25 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "printers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=127), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("healthy", sa.Boolean(), nullable=False),
        sa.Column("state_message", sa.String(length=300), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_printers")),
        sa.UniqueConstraint("queue", name=op.f("uq_printers_queue")),
    )
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("document", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("cups_job_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["printer_id"], ["printers.id"], name=op.f("fk_print_jobs_printer_id_printers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_jobs")),
    )
    for column in ("created_at", "document", "status", "printer_id"):
        op.create_index(op.f(f"ix_print_jobs_{column}"), "print_jobs", [column], unique=False)
    op.create_table(
        "print_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("cups_job_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["print_jobs.id"], name=op.f("fk_print_attempts_job_id_print_jobs")),
        sa.ForeignKeyConstraint(["printer_id"], ["printers.id"], name=op.f("fk_print_attempts_printer_id_printers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_attempts")),
    )
    op.create_index(op.f("ix_print_attempts_job_id"), "print_attempts", ["job_id"], unique=False)


def downgrade() -> None:
    op.drop_table("print_attempts")
    op.drop_table("print_jobs")
    op.drop_table("printers")
