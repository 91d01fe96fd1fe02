"""Zendesk ticket webhooks: signature check, per-event parsers, fixtures."""

from webhooks.zendesk.source import SOURCE

__all__ = ["SOURCE"]
