"""The sandbox's Salesforce org: what it holds (sObject describes, records, sessions, API usage, custom
fields, cadence trackers) and the REST routes healthloop's Salesforce adapter calls, answered as
Salesforce answers them (served over HTTPS, as simple-salesforce needs).

May import the shared sandbox module `http_json` (the shared fault injector is read from the app, not
imported) and its own modules; never the HubSpot side, the app assembly (`app`, `control`, `server`) or
`crm_adapters/salesforce/`.
"""
