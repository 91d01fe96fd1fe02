"""crm sync bookkeeping

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_records",
        sa.Column("crm", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("synced_values", JSON_TYPE, nullable=False),
        sa.Column("synced_story", JSON_TYPE, nullable=False),
        sa.Column("synced_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("crm", "account_id", name=op.f("pk_crm_records")),
    )
    op.create_index(op.f("ix_crm_records_crm_record_id"), "crm_records", ["crm", "record_id"], unique=False)
    with op.batch_alter_table("interventions") as batch:
        batch.add_column(sa.Column("crm_task_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("crm_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("crm_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("crm_synced_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("enrollment_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("enrollment_error", sa.Text(), nullable=True))
    op.create_index(op.f("ix_interventions_crm_status"), "interventions", ["crm_status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_interventions_crm_status"), table_name="interventions")
    with op.batch_alter_table("interventions") as batch:
        for column in ("enrollment_error", "enrollment_status", "crm_synced_at", "crm_error", "crm_status",
                       "crm_task_id"):  # fmt: skip
            batch.drop_column(column)
    op.drop_index(op.f("ix_crm_records_crm_record_id"), table_name="crm_records")
    op.drop_table("crm_records")
