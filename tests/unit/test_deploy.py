"""The deployment files agree with the code: every setting reaches the containers, the image installs
pinned dependencies without the report and demo extras, and the compose file has what production needs.

There is no Docker engine on the development machines: `docker build` is not run here. These tests
read the files; `docker-compose config` (when installed) validated the compose file by hand.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from connector.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SET_BY_COMPOSE = {"HEALTHLOOP_DATABASE_URL", "HEALTHLOOP_REDIS_URL", "HEALTHLOOP_CONFIG", "HEALTHLOOP_METRICS_DIR"}


def _setting_variables() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.add(str(alias.choices[0]) if alias is not None else "")  # type: ignore[union-attr]
    return names - {""}


def _readme_variables() -> set[str]:
    table = ROOT.joinpath("README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in ROOT.joinpath("deploy/healthloop.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value
    return pairs


def test_every_setting_is_in_the_readme_table():
    missing = _setting_variables() - _readme_variables()
    assert not missing, f"settings the README's configuration table does not list: {sorted(missing)}"


def test_compose_passes_every_setting_the_readme_lists():
    compose = yaml.safe_load(ROOT.joinpath("docker-compose.yml").read_text())
    base = compose["x-healthloop"]
    assert base["env_file"] == ["deploy/healthloop.env"]
    passed = set(_env_example()) | set(base["environment"])
    missing = _readme_variables() - passed
    assert not missing, f"README settings the compose stack never passes: {sorted(missing)}"
    assert set(base["environment"]) >= SET_BY_COMPOSE
    assert any(volume.endswith(":/etc/healthloop/healthloop.yaml:ro") for volume in base["volumes"])


def test_the_env_example_is_a_valid_configuration(monkeypatch):
    for name, value in _env_example().items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.crm == "none" and settings.log_format == "json"


def test_compose_has_named_volumes_a_worker_healthcheck_and_a_migration_first():
    compose = yaml.safe_load(ROOT.joinpath("docker-compose.yml").read_text())
    services = compose["services"]
    assert {"pgdata", "metrics"} <= set(compose["volumes"])
    assert "heartbeat" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["web"]["healthcheck"]
    for role in ("web", "worker"):
        assert services[role]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def _pins(lock: str) -> dict[str, str]:
    text = ROOT.joinpath(lock).read_text()
    return {name.lower(): version for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", text, re.M)}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_file_pins_every_runtime_dependency_with_hashes_and_no_optional_extra():
    project = tomllib.loads(ROOT.joinpath("pyproject.toml").read_text())["project"]
    pins = _pins("requirements.lock")
    for requirement in project["dependencies"]:
        assert _name(requirement) in pins, f"{requirement} is not in requirements.lock: run `make lock`"
    optional = {_name(r) for extra in ("report", "demo") for r in project["optional-dependencies"][extra]}
    assert not optional & set(pins), "the runtime lock must leave out the report and demo extras"
    assert "--hash=sha256:" in ROOT.joinpath("requirements.lock").read_text()
    assert "matplotlib" in _pins("requirements-report.lock")


def test_the_image_installs_from_the_lock_runs_unprivileged_and_serves_with_our_gunicorn_config():
    dockerfile = ROOT.joinpath("Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "requirements.lock" in dockerfile
    assert "--no-deps" in dockerfile
    assert re.search(r"^USER healthloop$", dockerfile, re.M)
    assert "python:webhooks.gunicorn_conf" in dockerfile
    ignored = ROOT.joinpath(".dockerignore").read_text().split()
    assert {".git", ".venv", "tests", "deploy/healthloop.env"} <= set(ignored)
