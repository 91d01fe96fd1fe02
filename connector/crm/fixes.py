"""What an operator should do about a CRM failure: one sentence, for logs, `status` and the CLI."""

from __future__ import annotations

import re

from crm_adapters.errors import CrmAuthError, CrmConfigError, CrmError

PROVISION = "run `healthloop crm provision` (it creates the missing fields), then `healthloop crm check`"
_SCHEMA = re.compile(
    r"idProperty|PROPERTY_DOESNT_EXIST|property .* does not exist|No such column|INVALID_FIELD|"
    r"unknown propert|does not exist on|not a unique property",
    re.IGNORECASE,
)


def fix_for(error: CrmError | str) -> str:
    """The fix for a CRM error (an exception, or the text one left in `crm_records.last_error`)."""
    text = error if isinstance(error, str) else f"{error.category or ''} {error}"
    if _SCHEMA.search(text):
        return PROVISION
    if isinstance(error, CrmAuthError) or re.search(r"\b401\b|\b403\b|credential|scope|INVALID_SESSION", text):
        return "check the CRM credentials and scopes in the environment; `healthloop crm check` tests them"
    if isinstance(error, CrmConfigError):
        return "fix the `crm:` section of the config (`healthloop crm check` names the field)"
    if (isinstance(error, CrmError) and error.retryable) or re.search(r"\b429\b|\b5\d\d\b|rate limit|timed out", text):
        return "nothing: retried automatically (rate limit or CRM outage)"
    return "see the message; `healthloop crm check` validates the mapping, `healthloop sync ACCOUNT` retries now"
