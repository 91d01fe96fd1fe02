"""A local HubSpot portal over real HTTP: tests and the demo run the official client against it.

Real auth checks, HubSpot-shaped errors, batch limits, rate limits (429 with Retry-After) and
seeded fault injection; a RevOps admin can try healthloop end to end without a CRM account.
"""

from crm_adapters.sandbox.faults import FaultConfig, RateLimitConfig
from crm_adapters.sandbox.server import DEFAULT_TOKEN, SandboxServer, create_sandbox_app
from crm_adapters.sandbox.state import OAuthApp, SandboxState

__all__ = [
    "DEFAULT_TOKEN",
    "FaultConfig",
    "OAuthApp",
    "RateLimitConfig",
    "SandboxServer",
    "SandboxState",
    "create_sandbox_app",
]
