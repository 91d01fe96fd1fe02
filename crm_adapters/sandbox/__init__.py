"""A local HubSpot portal and Salesforce org over real HTTP(S): tests and the demo run the official clients.

Real auth checks, vendor-shaped errors, batch limits, rate limits (429 with Retry-After; Salesforce's
REQUEST_LIMIT_EXCEEDED) and seeded fault injection; a RevOps admin can try healthloop end to end
without a CRM account. Salesforce is served over HTTPS (`SandboxServer(tls=True)`), as simple-salesforce needs.

Layout: `hubspot/` and `salesforce/` each hold one CRM (its state and its routes) and import only the shared
modules here (`errors`, `http_json`) and themselves; `faults`, `request_log` and `tls` are shared too. The
assembly (`app` builds the Flask app and its guards, `control` the shared control API, `server` runs it)
imports both CRM packages; nothing imports the assembly except this package's public names below.
"""

from crm_adapters.sandbox.app import DEFAULT_TOKEN, create_sandbox_app
from crm_adapters.sandbox.faults import FaultConfig, RateLimitConfig
from crm_adapters.sandbox.hubspot.state import SandboxState
from crm_adapters.sandbox.hubspot.tokens import OAuthApp
from crm_adapters.sandbox.salesforce.org import SalesforceOrg
from crm_adapters.sandbox.salesforce.settings import SalesforceCredentials, SalesforceSettings
from crm_adapters.sandbox.server import SandboxServer
from crm_adapters.sandbox.tls import SandboxCertificate, create_certificate

__all__ = [
    "DEFAULT_TOKEN",
    "FaultConfig",
    "OAuthApp",
    "RateLimitConfig",
    "SalesforceCredentials",
    "SalesforceOrg",
    "SalesforceSettings",
    "SandboxCertificate",
    "SandboxServer",
    "SandboxState",
    "create_certificate",
    "create_sandbox_app",
]
