"""Intercom ticket webhooks: signature check, per-event parsers, fixtures."""

from webhooks.intercom.source import SOURCE

__all__ = ["SOURCE"]
