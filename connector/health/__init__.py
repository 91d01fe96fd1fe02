"""Health: scoring orchestration around the pure `scoring` package. Loads each account's history
(`history`), skips days before an account's start (`account_start`), scores (`scores`) and stores
assessments, alerts and interventions (`stored_scores`, alerts as intervals in `alert_history`,
work only for accounts still there in `new_work`; tier episodes for the playbook in `tier_episodes`; renewal
and MRR in `account_value`, revenue at risk in `revenue`), fills daily history over a range (`backfill`),
the day's population (`population`), and the read models the CLI, the JSON API and the console
share (`accounts`, `score_history`).

May import: `connector.ingest` (roll-ups), `connector.store`, `connector.config`, `scoring`.
No queue, no CRM, no HTTP.
"""
