"""Ingest: turn what arrives into stored facts. Segment-spec message validation (`segment`) and
strict JSON text (`json_text`), storing product events with their attribution and the outbox
(`product_events`), account and user traits (`traits`), support tickets and their matching to
accounts (`tickets`, `ticket_matching`), history imports (`importer`) and daily roll-ups (`rollups`).

Used by the HTTP edge (`webhooks/`), the importer command and the jobs. May import:
`connector.store`, `connector.config`, `connector.events`, `connector.errors`. No HTTP, no queue.
"""
