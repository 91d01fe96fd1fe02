"""Telemetry: what an operator sees of a running healthloop. Log set-up in one format for every
process (`logs`: structured lines, text or JSON, with the request id and job id carried along),
every Prometheus metric and its labels (`metrics`: defined once, multi-process aware), and the
one-line-per-outage notice for Redis and the database (`outages`).

May import: `connector.config` and `connector.errors`. No database, no queue, no HTTP: the rooms that
count things (`connector.crm`, `connector.jobs`, `webhooks`) import this one, never the reverse.
"""
