"""CRM sync: builds the configured adapter from settings (`wiring`), writes what changed, tasks,
notes and enrollments (`sync`), and reads task status, enrollments and renewals back (`outcomes`).

Talks to a CRM only through the `crm_adapters.base.CrmAdapter` Protocol; no CRM URL or vendor
shape is known here. May import: `connector.health` (latest scores), `connector.store`,
`connector.config`, `connector.errors`, `crm_adapters`, `scoring`. No queue, no HTTP edge.
"""
