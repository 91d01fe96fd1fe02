"""Any other support tool: our own documented JSON shape, HMAC-SHA256 signed (see README)."""

from webhooks.generic.source import SOURCE

__all__ = ["SOURCE"]
