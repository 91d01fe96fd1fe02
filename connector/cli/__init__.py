"""The `healthloop` command line: `main` holds the group; one module per command group, holding only
argument parsing and printing (the work it asks for lives in the rooms it calls).

An entry point: may import every room of `connector` (the demo included), `webhooks` (serve) and
`crm_adapters` (the sandbox). Nothing imports it.
"""
