"""crm surface: interventions keep their story (as data), whether they carried the tier's play, and the due
time and owner their CRM task got

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        batch.add_column(sa.Column("story", JSON_TYPE, nullable=True))
        batch.add_column(sa.Column("tier_play", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("crm_due_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("crm_owner_id", sa.String(length=64), nullable=True))
    # Before this revision a tier's play was opened only by entering a worse tier, and its key says so.
    op.execute("UPDATE interventions SET tier_play = true WHERE key LIKE '%tier-%'")


def downgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        for column in ("crm_owner_id", "crm_due_at", "tier_play", "story"):
            batch.drop_column(column)
