"""The sandbox's HubSpot portal: what it holds (records, properties, associations, owners, sequences,
OAuth tokens) and the REST routes healthloop's HubSpot adapter calls, answered as HubSpot answers them.

May import the shared sandbox modules (`errors`, `http_json`) and its own modules; never the Salesforce
side, the app assembly (`app`, `control`, `server`) or the adapters in `crm_adapters/hubspot/`.
"""
