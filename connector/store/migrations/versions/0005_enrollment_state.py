"""enrollment state: which enrollment, where it stands, when the contact replied

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        batch.add_column(sa.Column("enrollment_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("enrollment_state", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("enrollment_replied_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        for column in ("enrollment_replied_at", "enrollment_state", "enrollment_id"):
            batch.drop_column(column)
