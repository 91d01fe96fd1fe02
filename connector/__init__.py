"""healthloop's application. One sub-package per role (docs/architecture.md has the map):
`config` (settings and the YAML rules), `store`, `ingest`, `health`, `crm`, `measure`, `jobs`,
and the entry points `cli` and `demo`; `errors` and `events` are the shared vocabulary.
"""
