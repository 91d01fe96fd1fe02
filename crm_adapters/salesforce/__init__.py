"""The Salesforce adapter: Accounts get health fields, Tasks and notes land once per key, cadences assign.

Build it with `SalesforceAdapter(SalesforceCredentials(...), SalesforceOptions(...))`; see `adapter.py`.
"""

from crm_adapters.salesforce.adapter import SalesforceAdapter, SalesforceOptions
from crm_adapters.salesforce.client import SalesforceCredentials

__all__ = ["SalesforceAdapter", "SalesforceCredentials", "SalesforceOptions"]
