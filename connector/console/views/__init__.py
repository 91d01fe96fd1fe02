"""The console's pages; importing this package registers them on the blueprint."""

from connector.console.views import account, accounts, activity, config, integrations, outcomes

__all__ = ["account", "accounts", "activity", "config", "integrations", "outcomes"]
