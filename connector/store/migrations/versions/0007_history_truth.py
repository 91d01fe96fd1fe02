"""history truth: nothing before an account's start, one open alert per account and trigger

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Earlier versions scored every day of a backfill, also the days before an account existed (score 0,
tier Churning), and a backfill after an import could leave two open alerts for one problem. This
data migration removes what should never have been stored, then adds the index that keeps one open
alert per account and trigger:

- score history dated before the account's start (the earliest of its signup trait, the first day
  any of its events was seen and its first day with activity), and all of it for an account
  without any of those;
- alerts fired before that start;
- interventions decided on a day before that start that never reached anyone (no CRM task, no Slack
  message sent); those that did stay, as the record of what was sent;
- an alert "cleared" before it fired (a backfill cleared a later alert) is open again, and where one
  trigger of one account has several open alerts, the earliest stays and the later ones go: the next
  scoring clears it if it is no longer true, and opens nothing new if it is.

The downgrade drops the index; deleted rows are not restored.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STARTS = """
CREATE TEMPORARY TABLE hl_account_starts AS
SELECT accounts.account_id AS account_id, MIN(known.day) AS start
FROM accounts LEFT JOIN (
    SELECT account_id, DATE(signed_up_at) AS day FROM accounts WHERE signed_up_at IS NOT NULL
    UNION ALL
    SELECT account_id, MIN(first_day) AS day FROM account_event_firsts GROUP BY account_id
    UNION ALL
    SELECT account_id, MIN(day) AS day FROM daily_rollups WHERE events > 0 OR page_views > 0 GROUP BY account_id
) AS known ON known.account_id = accounts.account_id
GROUP BY accounts.account_id
"""


def _started_by(table: str, day: str) -> str:
    """SQL: the account of this `table` row had started by `day` (an expression over the row)."""
    return (
        "EXISTS (SELECT 1 FROM hl_account_starts AS s "
        f"WHERE s.account_id = {table}.account_id AND s.start IS NOT NULL AND s.start <= {day})"
    )


def upgrade() -> None:
    op.execute(STARTS)
    op.execute("CREATE INDEX hl_account_starts_account_id ON hl_account_starts (account_id)")
    op.execute(f"DELETE FROM account_scores WHERE NOT {_started_by('account_scores', 'account_scores.day')}")
    op.execute(f"DELETE FROM alerts WHERE NOT {_started_by('alerts', 'alerts.fired_on')}")
    op.execute(
        "DELETE FROM interventions WHERE crm_task_id IS NULL AND (slack_status IS NULL OR slack_status <> 'sent') "
        f"AND NOT {_started_by('interventions', 'DATE(interventions.created_at)')}"
    )
    op.execute("DROP TABLE hl_account_starts")
    op.execute("UPDATE alerts SET cleared_on = NULL WHERE cleared_on < fired_on")
    op.execute(
        "DELETE FROM alerts WHERE cleared_on IS NULL AND EXISTS (SELECT 1 FROM alerts AS earlier "
        "WHERE earlier.account_id = alerts.account_id AND earlier.trigger_id = alerts.trigger_id "
        "AND earlier.cleared_on IS NULL AND (earlier.fired_on < alerts.fired_on "
        "OR (earlier.fired_on = alerts.fired_on AND earlier.id < alerts.id)))"
    )
    op.create_index(
        "uq_alerts_open_trigger",
        "alerts",
        ["account_id", "trigger_id"],
        unique=True,
        postgresql_where=sa.text("cleared_on IS NULL"),
        sqlite_where=sa.text("cleared_on IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_alerts_open_trigger", table_name="alerts")
