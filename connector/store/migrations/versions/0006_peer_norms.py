"""peer norms: each day's activity quantiles per peer group and the events any account had fired

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "peer_norms",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rules_key", sa.String(length=16), nullable=False),
        sa.Column("norms", JSON, nullable=False),
        sa.Column("seen_events", JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", "rules_key", name=op.f("pk_peer_norms")),
    )


def downgrade() -> None:
    op.drop_table("peer_norms")
