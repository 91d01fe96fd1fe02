"""Configuration: settings from the environment (`settings`) and the RevOps-owned YAML rules file
(`yaml_config`, with its `crm:` section in `crm_section` and line numbers for errors in `yaml_lines`).

May import: `connector.errors`, `connector.events`, `scoring` (the scoring rules model) and
`crm_adapters.base` (field specs). Nothing else in `connector` — every other room imports this one.
"""
