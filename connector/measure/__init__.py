"""Measure and Learn: renewal outcomes as facts (`renewals`), the save/response/uplift report and its
HTML page and charts (`report`, `report_text`, `report_html`, `report_charts`), indicator accuracy
with its intervals (`indicator_data`), replaying history under a config (`backtest`, `config_diff`;
never judging or counting a day before an account's start, `connector.health.account_start`), fitting weights
and bands to outcomes (`calibrate`), and proposing which events mean what from stored use (`suggest`).
Everything here reads; nothing is applied.

May import: `connector.health` (history), `connector.store`, `connector.config`, `connector.errors`,
`scoring`. Not the CRM, the queue or the HTTP edge.
"""
