"""Every ticket-webhook source, by the name in its URL (`POST /webhooks/<name>`)."""

from __future__ import annotations

from webhooks.freshdesk import SOURCE as FRESHDESK
from webhooks.generic import SOURCE as GENERIC
from webhooks.hubspot import SOURCE as HUBSPOT
from webhooks.intercom import SOURCE as INTERCOM
from webhooks.sources import TicketSource
from webhooks.zendesk import SOURCE as ZENDESK

SOURCES: dict[str, TicketSource] = {source.name: source for source in (ZENDESK, INTERCOM, FRESHDESK, HUBSPOT, GENERIC)}
