"""scores alerts interventions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_event_firsts",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("event", sa.String(length=255), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "event", name=op.f("pk_account_event_firsts")),
    )
    op.create_table(
        "account_scores",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("trend_delta", sa.Integer(), nullable=True),
        sa.Column("trend_direction", sa.String(length=16), nullable=True),
        sa.Column("signals", JSON_TYPE, nullable=False),
        sa.Column("weights", JSON_TYPE, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("config_version", sa.String(length=16), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_account_scores")),
    )
    op.create_index(op.f("ix_account_scores_day"), "account_scores", ["day"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("trigger_id", sa.String(length=32), nullable=False),
        sa.Column("fired_on", sa.Date(), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=False),
        sa.Column("cleared_on", sa.Date(), nullable=True),
        sa.Column("evidence", JSON_TYPE, nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("config_version", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "account_id", "trigger_id", "fired_on", name=op.f("uq_alerts_account_id_trigger_id_fired_on")
        ),
    )
    op.create_index("ix_alerts_account_id_cleared_on", "alerts", ["account_id", "cleared_on"], unique=False)

    op.create_table(
        "interventions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("trigger_id", sa.String(length=32), nullable=True),
        sa.Column("trigger_ids", JSON_TYPE, nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=255), nullable=False),
        sa.Column("channels", JSON_TYPE, nullable=False),
        sa.Column("owner", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("slack_alert", sa.Boolean(), nullable=False),
        sa.Column("slack_status", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interventions")),
        sa.UniqueConstraint("account_id", "key", name=op.f("uq_interventions_account_id_key")),
    )
    op.create_index(op.f("ix_interventions_account_id"), "interventions", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_table("interventions")
    op.drop_table("alerts")
    op.drop_table("account_scores")
    op.drop_table("account_event_firsts")
