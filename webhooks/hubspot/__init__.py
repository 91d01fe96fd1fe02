"""HubSpot ticket webhooks: signature check, per-event parsers, fixtures."""

from webhooks.hubspot.source import SOURCE

__all__ = ["SOURCE"]
