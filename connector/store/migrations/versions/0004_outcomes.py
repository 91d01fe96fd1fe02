"""outcomes: renewals, task outcomes, control group

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "renewals",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewals")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_renewals_source_external_id")),
    )
    op.create_index(op.f("ix_renewals_account_id"), "renewals", ["account_id"], unique=False)
    with op.batch_alter_table("interventions") as batch:
        batch.add_column(sa.Column("control", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("task_status", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("task_completed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("outcome_checked_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        for column in ("outcome_checked_at", "task_completed_at", "task_status", "control"):
            batch.drop_column(column)
    op.drop_index(op.f("ix_renewals_account_id"), table_name="renewals")
    op.drop_table("renewals")
