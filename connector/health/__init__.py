"""Health: scoring orchestration around the pure `scoring` package. Loads each account's history
(`history`), scores and stores assessments, alerts and interventions (`scores`), fills daily history
over a range (`backfill`), and the account read models the CLI, the JSON API and the console share
(`accounts`).

May import: `connector.ingest` (roll-ups), `connector.store`, `connector.config`, `scoring`.
No queue, no CRM, no HTTP.
"""
