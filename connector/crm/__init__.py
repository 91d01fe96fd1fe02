"""CRM sync: builds the configured adapter from settings (`wiring`), writes what changed (`sync`: the field
values in `record_values` from `account_facts`, records found by `resolve`), plans the work CSMs get
(`work`: tasks with an owner from `owners` and bodies from `task_content`, enrollments, cleared-task updates)
and does it (`work_done`), reports it (`sync_report`; a dry run lists the same items), and reads task status,
enrollments and renewals back (`outcomes`); `pending_work` and `schema_changes` serve status and provisioning.

Talks to a CRM only through the `crm_adapters.base.CrmAdapter` Protocol; no CRM URL or vendor
shape is known here. May import: `connector.health` (latest scores), `connector.store`,
`connector.config`, `connector.errors`, `crm_adapters`, `scoring`. No queue, no HTTP edge.
"""
