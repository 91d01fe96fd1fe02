"""Settings from the environment and the YAML config: defaults, and errors that name the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.config.settings import SettingsError, load_settings
from connector.config.yaml_config import Config, ConfigError, load_config


def test_defaults_are_a_local_sqlite_file_and_local_redis(monkeypatch):
    for name in (
        "HEALTHLOOP_DATABASE_URL",
        "HEALTHLOOP_REDIS_URL",
        "HEALTHLOOP_CONFIG",
        "HEALTHLOOP_WRITE_KEYS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///healthloop.db"
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.config_path is None
    assert settings.write_key_list() == []


def test_write_keys_are_comma_separated_and_never_printed(monkeypatch):
    monkeypatch.setenv("HEALTHLOOP_WRITE_KEYS", " key-one , key-two,, ")
    settings = load_settings()
    assert settings.write_key_list() == ["key-one", "key-two"]
    assert "key-one" not in repr(settings) and "key-one" not in str(settings.model_dump())


def test_a_plain_postgresql_url_uses_the_psycopg_driver_we_ship(monkeypatch):
    monkeypatch.setenv("HEALTHLOOP_DATABASE_URL", "postgresql://hl:pw@db:5432/healthloop")
    assert load_settings().database_url == "postgresql+psycopg://hl:pw@db:5432/healthloop"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "HEALTHLOOP_DATABASE_URL",
            "mysql://x/y",
            "HEALTHLOOP_DATABASE_URL: only sqlite:// and postgresql://",
        ),
        ("HEALTHLOOP_DATABASE_URL", "::not a url::", "HEALTHLOOP_DATABASE_URL: not a database URL"),
        ("HEALTHLOOP_REDIS_URL", "localhost:6379", "HEALTHLOOP_REDIS_URL: must start with redis://"),
        ("HEALTHLOOP_CONFIG", "/no/such/file.yaml", "HEALTHLOOP_CONFIG: no such file: /no/such/file.yaml"),
        ("HEALTHLOOP_SIGNATURE_TOLERANCE_SECONDS", "0", "HEALTHLOOP_SIGNATURE_TOLERANCE_SECONDS:"),
        ("HEALTHLOOP_LOG_LEVEL", "chatty", "HEALTHLOOP_LOG_LEVEL: must be one of"),
        ("HEALTHLOOP_PUBLIC_URL", "hl.example.com", "HEALTHLOOP_PUBLIC_URL: must be an absolute http(s) URL"),
        ("HEALTHLOOP_CRM", "pipedrive", "HEALTHLOOP_CRM: Input should be 'hubspot', 'salesforce' or 'none'"),
        ("HEALTHLOOP_CRM", "hubspot", "needs HUBSPOT_ACCESS_TOKEN"),
        ("HEALTHLOOP_CRM", "salesforce", "needs SALESFORCE_USERNAME"),
        ("SALESFORCE_LOGIN_URL", "http://login.example.com", "SALESFORCE_LOGIN_URL: must be an https:// URL"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert message in str(error.value)


def test_no_config_file_means_built_in_defaults():
    config = load_config(None)
    assert config == Config()
    assert config.account_traits.seats == ["seats", "licensed_seats"]
    assert len(config.version()) == 12


def test_a_config_file_overrides_defaults_and_changes_the_version(tmp_path: Path):
    path = tmp_path / "healthloop.yaml"
    path.write_text("account_traits:\n  seats: paid_seats\n  domain: [company_domain, website]\n")
    config = load_config(path)
    assert config.account_traits.seats == ["paid_seats"]
    assert config.account_traits.domain == ["company_domain", "website"]
    assert config.version() != Config().version()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("account_trait:\n  seats: x\n", "account_trait: Extra inputs are not permitted (check the spelling"),
        ("account_traits:\n  seats: []\n", "account_traits.seats: Value should have at least 1 item"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("account_traits: [\n", "not valid YAML"),
        (
            "tickets:\n  match_by_email_domain: maybe\n",
            "tickets.match_by_email_domain: Input should be a valid boolean",
        ),
    ],
)
def test_a_bad_config_names_the_key(tmp_path: Path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_an_empty_config_file_is_the_defaults(tmp_path: Path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    assert load_config(path) == Config()


def test_the_commented_example_config_is_exactly_the_defaults():
    from connector.config.yaml_config import EXAMPLE

    assert load_config(EXAMPLE) == Config()


def test_config_errors_name_the_line_to_fix(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "account_traits:\n  seats: paid_seats\nscoring:\n  weights:\n    activity: 0.5\n    engagement: 0.3\n"
        "  triggers:\n    cooldown_dayz: 3\n"
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "line 4: scoring.weights: weights must sum to 1" in message
    assert "line 8: scoring.triggers.cooldown_dayz: Extra inputs are not permitted" in message


def test_config_check_prints_the_effective_config_and_example_prints_the_commented_file(tmp_path: Path):
    from click.testing import CliRunner

    from connector.cli.main import cli

    path = tmp_path / "mine.yaml"
    path.write_text("scoring:\n  alerts:\n    low_score_below: 55\n")
    checked = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "low_score_below: 55" in checked.output and "valid; config version" in checked.output
    example = CliRunner().invoke(cli, ["config", "example"])
    assert example.exit_code == 0 and example.output.startswith("# healthloop configuration")
    path.write_text("scoring:\n  tiers:\n    healthy: 10\n")
    refused = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert refused.exit_code == 2 and "line 2: scoring.tiers: tier bands must descend" in refused.output


@pytest.mark.parametrize(
    ("variables", "mode"),
    [
        ({"SALESFORCE_SESSION_ID": "00D!x", "SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com"}, "session"),
        (
            {"SALESFORCE_USERNAME": "u@x.com", "SALESFORCE_CONSUMER_KEY": "k", "SALESFORCE_PRIVATE_KEY": "/k.pem"},
            "jwt",
        ),
        (
            {"SALESFORCE_USERNAME": "u@x.com", "SALESFORCE_PASSWORD": "p", "SALESFORCE_SECURITY_TOKEN": "t",
             "SALESFORCE_CONSUMER_KEY": "k", "SALESFORCE_CONSUMER_SECRET": "s"},
            "password",
        ),
        ({"SALESFORCE_USERNAME": "u@x.com", "SALESFORCE_PASSWORD": "p", "SALESFORCE_SECURITY_TOKEN": "t"}, "soap"),
    ],
)  # fmt: skip
def test_each_salesforce_login_is_recognised(monkeypatch, variables, mode):
    monkeypatch.setenv("HEALTHLOOP_CRM", "salesforce")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert load_settings().salesforce_mode() == mode


def test_crm_field_names_default_per_crm_and_overrides_apply_to_both():
    from connector.config.crm_section import CrmConfig

    crm = CrmConfig(fields={"reason": None, "score": "Health__c"})
    assert crm.field_names("hubspot")["tier"] == "healthloop_tier"
    assert crm.field_names("salesforce")["trend_delta"] == "Healthloop_Trend_Delta__c"
    assert crm.field_names("salesforce")["score"] == "Health__c" and crm.field_names("hubspot")["reason"] is None
    assert crm.mapping("salesforce").match_field == "Healthloop_Account_Id__c"
    assert CrmConfig(match={"by": "domain"}).mapping("salesforce").match_field == "Website"
    with pytest.raises(ValueError, match="used twice"):
        CrmConfig(fields={"score": "healthloop_tier"})
