"""Pick and build the CRM adapter from settings (the one place that does), and list what the playbook
config asks of the CRM (sequences, owners) for `crm check`."""

from __future__ import annotations

import hashlib

from connector.config.settings import Settings
from connector.config.yaml_config import Config
from connector.errors import ConfigurationError
from crm_adapters.base import CrmAdapter, EnrollmentSpec, FieldCheck


class CrmNotConfigured(ConfigurationError):
    """HEALTHLOOP_CRM is `none` (or unset) but a CRM command was asked for."""


def build_adapter(settings: Settings, config: Config, *, redis_url: str | None = None) -> CrmAdapter:
    """The adapter HEALTHLOOP_CRM names, with its credentials and the shared rate limiter."""
    if settings.crm == "hubspot":
        from crm_adapters.hubspot import HubSpotAdapter, HubSpotCredentials, HubSpotOptions

        credentials = HubSpotCredentials(
            access_token=settings.hubspot_access_token,
            client_id=settings.hubspot_client_id,
            client_secret=settings.hubspot_client_secret,
            refresh_token=settings.hubspot_refresh_token,
            base_url=settings.hubspot_base_url,
        )
        crm = config.crm
        options = HubSpotOptions(
            redis_url=redis_url,
            # One budget per portal (the token identifies it): workers of two deployments never mix.
            rate_limit_key=f"hubspot:{_fingerprint(settings)}",
            rate_limit_requests=crm.rate_limit_requests,
            rate_limit_interval_seconds=crm.rate_limit_interval_seconds,
            renewal_pipeline=crm.renewal_pipeline,
            renewal_deal_type=crm.renewal_deal_type,
        )
        return HubSpotAdapter(credentials, options)
    if settings.crm == "salesforce":
        return _salesforce_adapter(settings, config, redis_url)
    raise CrmNotConfigured("no CRM configured: set HEALTHLOOP_CRM=hubspot or salesforce and its credentials (README)")


def _salesforce_adapter(settings: Settings, config: Config, redis_url: str | None) -> CrmAdapter:
    import requests

    from crm_adapters.salesforce import SalesforceAdapter, SalesforceCredentials, SalesforceOptions

    credentials = SalesforceCredentials(
        username=settings.salesforce_username,
        password=settings.salesforce_password,
        security_token=settings.salesforce_security_token,
        consumer_key=settings.salesforce_consumer_key,
        consumer_secret=settings.salesforce_consumer_secret,
        private_key=settings.salesforce_private_key,
        session_id=settings.salesforce_session_id,
        instance_url=settings.salesforce_instance_url,
        # Unset: the adapter's default login host (only crm_adapters knows Salesforce's URLs).
        **({"login_url": settings.salesforce_login_url} if settings.salesforce_login_url else {}),
    )
    session = requests.Session()
    if settings.salesforce_ca_bundle is not None:
        # Only this CA for Salesforce calls (an environment REQUESTS_CA_BUNDLE would otherwise win).
        session.verify = str(settings.salesforce_ca_bundle)
        session.trust_env = False
    options = SalesforceOptions(
        api_version=settings.salesforce_api_version,
        redis_url=redis_url,
        rate_limit_key=f"salesforce:{_fingerprint(settings)}",
        renewal_type=config.crm.renewal_opportunity_type,
        max_daily_share=config.crm.max_daily_api_share,
    )
    return SalesforceAdapter(credentials, options, session=session)


def _fingerprint(settings: Settings) -> str:
    """A short, non-reversible id of the portal / org (never a secret itself)."""
    if settings.crm == "salesforce":
        material = f"{settings.salesforce_login_url} {settings.salesforce_instance_url} {settings.salesforce_username}"
    else:
        secret = settings.hubspot_access_token or settings.hubspot_refresh_token
        material = (settings.hubspot_base_url or "") + (secret.get_secret_value() if secret else "")
    return hashlib.sha256(material.encode()).hexdigest()[:12]


def playbook_checks(adapter: CrmAdapter, config: Config) -> list[FieldCheck]:
    """The sequences and owners the playbook config names."""
    sequences = {
        row: EnrollmentSpec("check", "", target.sequence_id, target.sender_email, target.user_id)
        for row, target in config.crm.sequences.items()
    }
    return adapter.check_playbook(sequences, dict(config.crm.owners))
