"""CRM adapters (HubSpot, Salesforce, the local sandbox) behind one small interface.

Everything CRM-specific lives here; nothing outside this package knows a CRM URL. The
adapters arrive with the CRM write-back issues.
"""
