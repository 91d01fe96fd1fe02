"""The web console (`/console`): a Flask blueprint with its own templates and static files for RevOps
admins and CS leads: accounts, one account's story, playbook outcomes, integrations and config, behind
a sign-in (`users`, `auth`) with every action logged (`audit`). Views call the same read models as the
CLI and the JSON API and only render them; charts are inline SVG drawn on the server (`charts`).

May import: `connector.health`, `connector.measure`, `connector.crm`, `connector.jobs`, `connector.ingest`,
`connector.store`, `connector.config`, `connector.errors`, `connector.events`, `scoring`. Only `webhooks`
(the app factory registers it) and the entry points import it.
"""
