"""console: users, the action log, each account's latest score (kept by triggers), open alerts by trigger

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

`latest_scores` holds a copy of each account's newest `account_scores` row. Triggers on
`account_scores` keep it: an inserted or updated row replaces the copy unless the copy is of a later
day; deleting the copied row falls back to the account's next newest row. Every writer (live scoring,
backfills, imports, later migrations) keeps it true without knowing about it.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COLUMNS = "account_id, day, score, tier, trend_delta, trend_direction"
UPSERT = (
    "ON CONFLICT (account_id) DO UPDATE SET day = excluded.day, score = excluded.score, tier = excluded.tier, "
    "trend_delta = excluded.trend_delta, trend_direction = excluded.trend_direction "
    "WHERE latest_scores.day <= excluded.day"
)
NEW_ROW = "new.account_id, new.day, new.score, new.tier, new.trend_delta, new.trend_direction"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER latest_scores_after_insert AFTER INSERT ON account_scores BEGIN
        INSERT INTO latest_scores ({COLUMNS}) VALUES ({NEW_ROW}) {UPSERT}; END""",
    f"""CREATE TRIGGER latest_scores_after_update AFTER UPDATE ON account_scores BEGIN
        INSERT INTO latest_scores ({COLUMNS}) VALUES ({NEW_ROW}) {UPSERT}; END""",
    f"""CREATE TRIGGER latest_scores_after_delete AFTER DELETE ON account_scores
        WHEN EXISTS (SELECT 1 FROM latest_scores WHERE account_id = old.account_id AND day = old.day) BEGIN
        DELETE FROM latest_scores WHERE account_id = old.account_id;
        INSERT INTO latest_scores ({COLUMNS}) SELECT {COLUMNS} FROM account_scores
            WHERE account_id = old.account_id ORDER BY day DESC LIMIT 1; END""",
]
# PostgreSQL: one set-based upsert per statement (scoring writes 500 rows per statement), per row on delete.
POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION latest_scores_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO latest_scores ({COLUMNS})
        SELECT DISTINCT ON (account_id) {COLUMNS} FROM changed_rows ORDER BY account_id, day DESC
        {UPSERT};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER latest_scores_after_insert AFTER INSERT ON account_scores
        REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION latest_scores_upsert()""",
    """CREATE TRIGGER latest_scores_after_update AFTER UPDATE ON account_scores
        REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION latest_scores_upsert()""",
    f"""CREATE FUNCTION latest_scores_fall_back() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM latest_scores WHERE account_id = old.account_id AND day = old.day;
        IF FOUND THEN
            INSERT INTO latest_scores ({COLUMNS}) SELECT {COLUMNS} FROM account_scores
                WHERE account_id = old.account_id ORDER BY day DESC LIMIT 1;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER latest_scores_after_delete AFTER DELETE ON account_scores
        FOR EACH ROW EXECUTE FUNCTION latest_scores_fall_back()""",
]
FILL = f"""INSERT INTO latest_scores ({COLUMNS})
    SELECT {COLUMNS} FROM account_scores s
    WHERE s.day = (SELECT max(day) FROM account_scores m WHERE m.account_id = s.account_id)"""


def upgrade() -> None:
    op.create_table(
        "latest_scores",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("trend_delta", sa.Integer(), nullable=True),
        sa.Column("trend_direction", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_latest_scores")),
    )
    op.create_index("ix_latest_scores_tier_score_account_id", "latest_scores", ["tier", "score", "account_id"])
    op.create_index("ix_latest_scores_score_account_id", "latest_scores", ["score", "account_id"])
    op.create_table(
        "console_users",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
        sa.UniqueConstraint("name", name=op.f("uq_console_users_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_users_token_hash")),
    )
    op.create_table(
        "console_actions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_actions")),
    )
    op.create_index(op.f("ix_console_actions_at"), "console_actions", ["at"])
    op.create_index(
        "ix_alerts_open_trigger_id",
        "alerts",
        ["trigger_id", "account_id"],
        postgresql_where=sa.text("cleared_on IS NULL"),
        sqlite_where=sa.text("cleared_on IS NULL"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(FILL)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger in ("latest_scores_after_insert", "latest_scores_after_update", "latest_scores_after_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON account_scores" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS latest_scores_upsert()")
        op.execute("DROP FUNCTION IF EXISTS latest_scores_fall_back()")
    op.drop_index("ix_alerts_open_trigger_id", table_name="alerts")
    op.drop_index(op.f("ix_console_actions_at"), table_name="console_actions")
    op.drop_table("console_actions")
    op.drop_table("console_users")
    op.drop_index("ix_latest_scores_score_account_id", table_name="latest_scores")
    op.drop_index("ix_latest_scores_tier_score_account_id", table_name="latest_scores")
    op.drop_table("latest_scores")
