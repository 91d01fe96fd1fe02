"""The RevOps-owned YAML config: which traits mean what, how tickets find their account.

Every section has built-in defaults, so an absent file (or an empty one) is a valid config.
Unknown keys are refused so that a typo never silently falls back to a default.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from connector.config.crm_section import CrmConfig
from connector.config.yaml_lines import key_lines, line_for
from connector.errors import ConfigurationError
from connector.events import TicketStatus
from scoring.rules import ScoringRules


class ConfigError(ConfigurationError):
    """The YAML config is unreadable or invalid; the message names the key and the fix."""


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _lowercase_values(value: object) -> object:
    if isinstance(value, dict):
        return {key: item.strip().lower() if isinstance(item, str) else item for key, item in value.items()}
    return value


TraitNames = Annotated[list[str], BeforeValidator(_as_list), Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountTraitMap(_Strict):
    """Which Segment `group` trait holds each account attribute; the first trait present wins."""

    name: TraitNames = ["name"]
    plan: TraitNames = ["plan"]
    seats: TraitNames = ["seats", "licensed_seats"]
    renewal_date: TraitNames = ["renewal_date", "renewalDate"]
    mrr: TraitNames = ["mrr"]
    created_at: TraitNames = ["created_at", "createdAt"]
    domain: TraitNames = ["domain", "website"]
    crm_match_key: TraitNames = ["crm_match_key"]


class UserTraitMap(_Strict):
    """Which Segment `identify` trait holds each user attribute."""

    email: TraitNames = ["email"]
    name: TraitNames = ["name"]


DEFAULT_FREE_EMAIL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "mail.com",
    "yandex.ru",
    "qq.com",
    "163.com",
)


class TicketMatching(_Strict):
    """How a support ticket finds its account."""

    organization_traits: dict[str, str] = {
        "zendesk": "zendesk_organization_id",
        "intercom": "intercom_company_id",
        "freshdesk": "freshdesk_company_id",
        "hubspot": "hubspot_company_id",
    }
    """Group trait that holds each support tool's organization/company id for the account."""
    match_by_email_domain: bool = True
    free_email_domains: list[str] = Field(default_factory=lambda: list(DEFAULT_FREE_EMAIL_DOMAINS))
    """Requester domains never used for matching (shared mail providers)."""
    hubspot_pipeline_stages: Annotated[dict[str, TicketStatus], BeforeValidator(_lowercase_values)] = {
        "1": TicketStatus.NEW,
        "2": TicketStatus.PENDING,
        "3": TicketStatus.OPEN,
        "4": TicketStatus.CLOSED,
    }
    """HubSpot ticket stage id -> our status; the defaults are HubSpot's default support pipeline."""


class Config(_Strict):
    """The whole config file."""

    account_traits: AccountTraitMap = AccountTraitMap()
    user_traits: UserTraitMap = UserTraitMap()
    tickets: TicketMatching = TicketMatching()
    scoring: ScoringRules = ScoringRules()
    crm: CrmConfig = CrmConfig()

    def version(self) -> str:
        """A short stable hash of the effective config, recorded with everything it produces."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def load_config(path: Path | None) -> Config:
    """Load and validate the YAML config at `path`; built-in defaults when `path` is None."""
    if path is None:
        return Config()
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, not {type(raw).__name__}")
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        lines = key_lines(text)
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            hint = " (check the spelling; see docs/configuration.md)" if error["type"] == "extra_forbidden" else ""
            line = line_for(lines, error["loc"])
            where = f"line {line}: " if line else ""
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}{key}: {message}{hint}")
        raise ConfigError(f"{path}: invalid config:\n  " + "\n  ".join(problems)) from None


EXAMPLE = Path(__file__).parent / "example.yaml"
"""The commented example config (every value is the default)."""
