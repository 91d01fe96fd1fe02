"""learned churn probability: fitted models with their evaluation, and each day's probability

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "churn_models",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("model", JSON, nullable=False),
        sa.Column("evaluation", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_churn_models")),
    )
    with op.batch_alter_table("account_scores") as batch:
        batch.add_column(sa.Column("churn_probability", sa.Float(), nullable=True))
        batch.add_column(sa.Column("churn_drivers", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_scores") as batch:
        batch.drop_column("churn_drivers")
        batch.drop_column("churn_probability")
    op.drop_table("churn_models")
