"""The demo: a synthetic book of business (`data`), the end-to-end walkthrough over real HTTP
(`walkthrough`), and the local CRM sandbox side of it (`crm`: seeding, showing, outcomes).

An entry point like the CLI: may import any room of `connector`, `webhooks` and the CRM sandbox.
Nothing imports it but the CLI.
"""
