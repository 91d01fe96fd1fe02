"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_aliases",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("source", "external_id", name=op.f("pk_account_aliases")),
    )
    op.create_index(op.f("ix_account_aliases_account_id"), "account_aliases", ["account_id"], unique=False)

    op.create_table(
        "account_users",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "user_id", name=op.f("pk_account_users")),
    )
    op.create_index(op.f("ix_account_users_user_id"), "account_users", ["user_id"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=True),
        sa.Column("plan", sa.String(length=255), nullable=True),
        sa.Column("licensed_seats", sa.Integer(), nullable=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("mrr", sa.Float(), nullable=True),
        sa.Column("signed_up_at", sa.DateTime(), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("crm_match_key", sa.String(length=255), nullable=True),
        sa.Column("traits", JSON_TYPE, nullable=False),
        sa.Column("traits_at", sa.DateTime(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_accounts")),
    )
    op.create_index(op.f("ix_accounts_domain"), "accounts", ["domain"], unique=False)

    op.create_table(
        "daily_rollups",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("page_views", sa.Integer(), nullable=False),
        sa.Column("active_users", sa.Integer(), nullable=False),
        sa.Column("event_counts", sa.JSON(), nullable=False),
        sa.Column("user_counts", sa.JSON(), nullable=False),
        sa.Column("tickets_opened", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_daily_rollups")),
    )
    op.create_table(
        "dirty_account_days",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_dirty_account_days")),
    )
    op.create_index(op.f("ix_dirty_account_days_marked_at"), "dirty_account_days", ["marked_at"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("anonymous_id", sa.String(length=255), nullable=True),
        sa.Column("account_id", sa.String(length=255), nullable=True),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("payload", JSON_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("message_id", name=op.f("uq_events_message_id")),
    )
    op.create_index("ix_events_account_id_timestamp", "events", ["account_id", "timestamp"], unique=False)
    op.create_index(
        "ix_events_unattributed_user_id",
        "events",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("account_id IS NULL"),
        sqlite_where=sa.text("account_id IS NULL"),
    )

    op.create_table(
        "ticket_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("delivery_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("ticket_external_id", sa.String(length=255), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("payload", JSON_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_deliveries")),
        sa.UniqueConstraint("source", "delivery_id", name=op.f("uq_ticket_deliveries_source_delivery_id")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=True),
        sa.Column("match_method", sa.String(length=32), nullable=True),
        sa.Column("organization_id", sa.String(length=255), nullable=True),
        sa.Column("requester_id", sa.String(length=255), nullable=True),
        sa.Column("requester_email", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=1000), nullable=True),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("tags", JSON_TYPE, nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("satisfaction", sa.String(length=32), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("solved_at", sa.DateTime(), nullable=True),
        sa.Column("state_at", sa.DateTime(), nullable=False),
        sa.Column("first_received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_tickets_source_external_id")),
    )
    op.create_index(op.f("ix_tickets_account_id"), "tickets", ["account_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=True),
        sa.Column("account_at", sa.DateTime(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=512), nullable=True),
        sa.Column("traits", JSON_TYPE, nullable=False),
        sa.Column("traits_at", sa.DateTime(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
    )
    op.create_index(op.f("ix_users_account_id"), "users", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("tickets")
    op.drop_table("ticket_deliveries")
    op.drop_table("events")
    op.drop_table("dirty_account_days")
    op.drop_table("daily_rollups")
    op.drop_table("accounts")
    op.drop_table("account_users")
    op.drop_table("account_aliases")
