"""The HubSpot adapter: companies get health fields, tasks and notes land once per key, sequences enroll.

Build it with `HubSpotAdapter(HubSpotCredentials(...), HubSpotOptions(...))`; see `adapter.py`.
"""

from crm_adapters.hubspot.adapter import HubSpotAdapter, HubSpotOptions
from crm_adapters.hubspot.client import HubSpotCredentials

__all__ = ["HubSpotAdapter", "HubSpotCredentials", "HubSpotOptions"]
