"""Freshdesk ticket webhooks: signature check, per-event parsers, fixtures."""

from webhooks.freshdesk.source import SOURCE

__all__ = ["SOURCE"]
