"""Deployment settings, read once from environment variables (secrets typed as secrets)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from connector.errors import ConfigurationError


class SettingsError(ConfigurationError):
    """A setting is missing or malformed; the message names the variable and the fix."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Everything that differs between deployments. Domain rules live in the YAML config instead."""

    # env_ignore_empty: `VAR=` (an env file, compose) means unset, not an empty value.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True, env_ignore_empty=True)

    # --- where things live -------------------------------------------------------------
    database_url: str = Field(
        "sqlite:///healthloop.db",
        validation_alias=_env("HEALTHLOOP_DATABASE_URL"),
        description="SQLAlchemy URL. Default: a SQLite file in the working directory.",
    )
    redis_url: str = Field(
        "redis://localhost:6379/0",
        validation_alias=_env("HEALTHLOOP_REDIS_URL"),
        description="Queue and short-lived coordination state only; losing it loses no event.",
    )
    config_path: Path | None = Field(
        None,
        validation_alias=_env("HEALTHLOOP_CONFIG"),
        description="YAML file with the RevOps-owned rules; built-in defaults when unset.",
    )
    public_url: str | None = Field(
        None,
        validation_alias=_env("HEALTHLOOP_PUBLIC_URL"),
        description="Public base URL (https://hl.example.com) used to rebuild signed URIs behind a proxy.",
    )
    console_url: str | None = Field(
        None,
        validation_alias=_env("HEALTHLOOP_CONSOLE_URL"),
        description="Base URL people open healthloop's console at (https://hl.example.com): CRM records and "
        "tasks link to <it>/console/accounts/<account id>. Unset: no link.",
    )

    # --- secrets (one variable each; never logged) --------------------------------------
    write_keys: SecretStr | None = Field(None, validation_alias=_env("HEALTHLOOP_WRITE_KEYS"))
    zendesk_webhook_secret: SecretStr | None = Field(None, validation_alias=_env("ZENDESK_WEBHOOK_SECRET"))
    intercom_client_secret: SecretStr | None = Field(None, validation_alias=_env("INTERCOM_CLIENT_SECRET"))
    freshdesk_webhook_secret: SecretStr | None = Field(None, validation_alias=_env("FRESHDESK_WEBHOOK_SECRET"))
    hubspot_client_secret: SecretStr | None = Field(None, validation_alias=_env("HUBSPOT_CLIENT_SECRET"))
    webhook_secret: SecretStr | None = Field(None, validation_alias=_env("HEALTHLOOP_WEBHOOK_SECRET"))
    admin_token: SecretStr | None = Field(None, validation_alias=_env("HEALTHLOOP_ADMIN_TOKEN"))
    slack_webhook_url: SecretStr | None = Field(
        None,
        validation_alias=_env("SLACK_WEBHOOK_URL"),
        description="Slack incoming-webhook URL for CSM alerts (the URL is the credential).",
    )

    # --- the web console (/console) ------------------------------------------------------
    console_secret_key: SecretStr | None = Field(
        None,
        validation_alias=_env("HEALTHLOOP_CONSOLE_SECRET_KEY"),
        description="Signs the console's session cookies; default: derived from HEALTHLOOP_ADMIN_TOKEN.",
    )
    console_session_hours: int = Field(
        12,
        ge=1,
        le=24 * 30,
        validation_alias=_env("HEALTHLOOP_CONSOLE_SESSION_HOURS"),
        description="How long a console sign-in lasts.",
    )
    crm_record_url: str | None = Field(
        None,
        validation_alias=_env("HEALTHLOOP_CRM_RECORD_URL"),
        description="Link to an account's CRM record, with {record_id} in it (the console's account page).",
    )

    # --- CRM write-back -------------------------------------------------------------------
    crm: Literal["hubspot", "salesforce", "none"] = Field(
        "none",
        validation_alias=_env("HEALTHLOOP_CRM"),
        description="Which CRM receives health fields, tasks and notes (none: score only).",
    )
    hubspot_access_token: SecretStr | None = Field(
        None,
        validation_alias=_env("HUBSPOT_ACCESS_TOKEN"),
        description="HubSpot private-app access token (or use the OAuth trio below).",
    )
    hubspot_client_id: str | None = Field(None, validation_alias=_env("HUBSPOT_CLIENT_ID"))
    hubspot_refresh_token: SecretStr | None = Field(
        None,
        validation_alias=_env("HUBSPOT_REFRESH_TOKEN"),
        description="OAuth refresh token; with HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET.",
    )
    hubspot_base_url: str | None = Field(
        None,
        validation_alias=_env("HUBSPOT_BASE_URL"),
        description="Another HubSpot host, e.g. the local sandbox (http://127.0.0.1:8090).",
    )

    salesforce_login_url: str | None = Field(
        None,
        validation_alias=_env("SALESFORCE_LOGIN_URL"),
        description="Where tokens come from when not the adapter's default: a sandbox org, a My Domain, the sandbox.",
    )
    salesforce_instance_url: str | None = Field(
        None,
        validation_alias=_env("SALESFORCE_INSTANCE_URL"),
        description="The org's URL, with SALESFORCE_SESSION_ID (the login flows return it themselves).",
    )
    salesforce_username: str | None = Field(None, validation_alias=_env("SALESFORCE_USERNAME"))
    salesforce_password: SecretStr | None = Field(None, validation_alias=_env("SALESFORCE_PASSWORD"))
    salesforce_security_token: SecretStr | None = Field(None, validation_alias=_env("SALESFORCE_SECURITY_TOKEN"))
    salesforce_consumer_key: str | None = Field(
        None, validation_alias=_env("SALESFORCE_CONSUMER_KEY"), description="The connected app's client id."
    )
    salesforce_consumer_secret: SecretStr | None = Field(None, validation_alias=_env("SALESFORCE_CONSUMER_SECRET"))
    salesforce_private_key: SecretStr | None = Field(
        None,
        validation_alias=_env("SALESFORCE_PRIVATE_KEY"),
        description="JWT bearer flow: the connected app's private key (PEM text or a file path).",
    )
    salesforce_session_id: SecretStr | None = Field(None, validation_alias=_env("SALESFORCE_SESSION_ID"))
    salesforce_api_version: str = Field("59.0", validation_alias=_env("SALESFORCE_API_VERSION"))
    salesforce_ca_bundle: Path | None = Field(
        None,
        validation_alias=_env("SALESFORCE_CA_BUNDLE"),
        description="A CA file to trust for Salesforce calls only (the local sandbox prints its own).",
    )

    # --- ingest tunables ----------------------------------------------------------------
    signature_tolerance_seconds: int = Field(
        300,
        ge=1,
        le=3600,
        validation_alias=_env("HEALTHLOOP_SIGNATURE_TOLERANCE_SECONDS"),
        description="How old (or how far ahead) a signed webhook timestamp may be before it is a replay.",
    )
    max_future_seconds: int = Field(
        300,
        ge=0,
        le=86400,
        validation_alias=_env("HEALTHLOOP_MAX_FUTURE_SECONDS"),
        description="Events timestamped further ahead than this (after clock-skew correction) are refused.",
    )
    sweep_interval_seconds: int = Field(
        60,
        ge=5,
        le=3600,
        validation_alias=_env("HEALTHLOOP_SWEEP_INTERVAL_SECONDS"),
        description="How often `healthloop worker` re-enqueues work that was stored but never processed.",
    )
    sweep_grace_seconds: int = Field(
        30,
        ge=1,
        le=3600,
        validation_alias=_env("HEALTHLOOP_SWEEP_GRACE_SECONDS"),
        description="Stored work younger than this is left to the job its request enqueued; older work is swept.",
    )
    log_level: str = Field("INFO", validation_alias=_env("HEALTHLOOP_LOG_LEVEL"))

    # --- operations ------------------------------------------------------------------------
    log_format: Literal["text", "json"] = Field(
        "text",
        validation_alias=_env("HEALTHLOOP_LOG_FORMAT"),
        description="`text` (logfmt: key=value) or `json` (one object per line), for every process alike.",
    )
    metrics_dir: Path | None = Field(
        None,
        validation_alias=_env("HEALTHLOOP_METRICS_DIR"),
        description="Directory (shared by web and worker) for Prometheus multi-process samples; `healthloop "
        "serve` uses a private temporary one when unset, so /metrics then shows the web tier only.",
    )
    db_connect_timeout_seconds: float = Field(
        3.0,
        ge=1,
        le=60,
        validation_alias=_env("HEALTHLOOP_DB_CONNECT_TIMEOUT_SECONDS"),
        description="How long opening a database connection may take before the request answers 503.",
    )
    db_statement_timeout_seconds: float = Field(
        30.0,
        ge=1,
        le=3600,
        validation_alias=_env("HEALTHLOOP_DB_STATEMENT_TIMEOUT_SECONDS"),
        description="How long one statement (or a lock wait) may take on PostgreSQL; SQLite's busy timeout.",
    )
    worker_heartbeat_file: Path = Field(
        Path("/tmp/healthloop-worker.heartbeat"),
        validation_alias=_env("HEALTHLOOP_WORKER_HEARTBEAT_FILE"),
        description="Touched by `healthloop worker` at least every minute (also while it waits out an outage); "
        "a container healthcheck reads its age.",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url_parses(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc}); e.g. sqlite:///healthloop.db") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite:// and postgresql:// URLs are supported")
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            value = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("console_url")
    @classmethod
    def _console_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL, e.g. https://healthloop.example.com")
        return value.rstrip("/") if value else None

    @field_validator("public_url")
    @classmethod
    def _public_url_scheme(cls, value: str | None) -> str | None:
        if value is not None:
            if not value.startswith(("http://", "https://")):
                raise ValueError("must be an absolute http(s) URL such as https://healthloop.example.com")
            value = value.rstrip("/")
        return value

    @field_validator("crm_record_url")
    @classmethod
    def _record_url_template(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith(("http://", "https://")) or "{record_id}" not in value):
            raise ValueError(
                "must be an http(s) URL with {record_id} in it, e.g. "
                "https://app.hubspot.com/contacts/12345/record/0-2/{record_id}"
            )
        return value

    @field_validator("slack_webhook_url")
    @classmethod
    def _slack_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("https://", "http://")):
            raise ValueError("must be the incoming-webhook URL Slack gave you (https://hooks.slack.com/services/...)")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("config_path")
    @classmethod
    def _config_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("salesforce_login_url", "salesforce_instance_url")
    @classmethod
    def _salesforce_urls(cls, value: str | None) -> str | None:
        if value is not None:
            if not value.startswith("https://"):
                raise ValueError("must be an https:// URL (Salesforce, and simple-salesforce, speak only https)")
            value = value.rstrip("/")
        return value

    @field_validator("hubspot_base_url")
    @classmethod
    def _hubspot_base_url(cls, value: str | None) -> str | None:
        if value is not None:
            if not value.startswith(("http://", "https://")):
                raise ValueError("must be an absolute http(s) URL such as http://127.0.0.1:8090")
            value = value.rstrip("/")
        return value

    @model_validator(mode="after")
    def _crm_credentials(self) -> Settings:
        if self.crm == "hubspot" and self.hubspot_access_token is None:
            oauth = (self.hubspot_client_id, self.hubspot_client_secret, self.hubspot_refresh_token)
            if not all(value is not None for value in oauth):
                raise ValueError(
                    "HEALTHLOOP_CRM=hubspot needs HUBSPOT_ACCESS_TOKEN (a private-app token), or "
                    "HUBSPOT_CLIENT_ID + HUBSPOT_CLIENT_SECRET + HUBSPOT_REFRESH_TOKEN (OAuth)"
                )
        if self.crm == "salesforce" and self.salesforce_mode() is None:
            raise ValueError(
                "HEALTHLOOP_CRM=salesforce needs SALESFORCE_USERNAME + SALESFORCE_PASSWORD + SALESFORCE_SECURITY_TOKEN "
                "(+ SALESFORCE_CONSUMER_KEY + SALESFORCE_CONSUMER_SECRET for the OAuth flow), or SALESFORCE_USERNAME + "
                "SALESFORCE_CONSUMER_KEY + SALESFORCE_PRIVATE_KEY (JWT bearer), or SALESFORCE_SESSION_ID + "
                "SALESFORCE_INSTANCE_URL"
            )
        return self

    def salesforce_mode(self) -> Literal["password", "soap", "jwt", "session"] | None:
        """Which Salesforce login the settings allow (JWT first: it needs no stored password)."""
        if self.salesforce_username and self.salesforce_consumer_key and self.salesforce_private_key:
            return "jwt"
        password = (self.salesforce_password, self.salesforce_security_token, self.salesforce_consumer_secret)
        if self.salesforce_username and self.salesforce_consumer_key and all(v is not None for v in password):
            return "password"
        if self.salesforce_username and self.salesforce_password is not None and not self.salesforce_consumer_key:
            return "soap"
        if self.salesforce_session_id and self.salesforce_instance_url:
            return "session"
        return None

    def write_key_list(self) -> list[str]:
        """Configured Segment write keys (comma-separated in HEALTHLOOP_WRITE_KEYS)."""
        if self.write_keys is None:
            return []
        return [key.strip() for key in self.write_keys.get_secret_value().split(",") if key.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _variable_for(field_name: str) -> str:
    field = Settings.model_fields.get(field_name)
    alias = field.validation_alias if field else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field_name.upper()


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; raise SettingsError naming the bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = _variable_for(str(error["loc"][0])) if error["loc"] else "HEALTHLOOP_CRM"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise SettingsError("invalid setting(s):\n  " + "\n  ".join(problems)) from None
