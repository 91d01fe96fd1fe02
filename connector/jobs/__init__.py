"""Jobs: the process wiring and the background work. `runtime` builds settings, config, database,
queue and CRM adapter once per process (never at import time); `work_queue` coalesces rescore and
sync requests on RQ/Redis or an in-process thread; `tasks` are the RQ jobs (rescore, sync, sweep,
daily rescore, outcome pulls); `slack` delivers CSM alerts; `worker` runs the worker process.

May import: `connector.crm`, `connector.health`, `connector.ingest`, `connector.store`,
`connector.config`, `connector.errors`, `connector.telemetry` (metrics, log context, outages).
Only the CLI, the demo and the HTTP edge import it.
"""
