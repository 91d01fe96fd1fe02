"""Config: the live config (read-only), a proposed YAML checked and replayed against history (admins), and
calibrate's proposal. Nothing is ever applied from the console."""

from __future__ import annotations

import difflib
import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config, ConfigError, load_config
from connector.console.auth import admin_required, log_action
from connector.console.blueprint import bp, runtime
from connector.jobs.runtime import Runtime
from connector.measure.calibrate import calibration_json, load_samples, proposed_yaml
from connector.measure.config_diff import diff_configs
from connector.store.models import Account
from scoring.calibrate import calibrate

REPLAY_MAX_ACCOUNTS = 2_000
"""A replay in the page scores every account for every day; above this many, the page names the CLI command."""
REPLAY_DAYS = (7, 30, 90)
CALIBRATE_DAYS_BEFORE = 30
CALIBRATE_MAX_SAMPLES = 20_000
MAX_YAML_BYTES = 200_000


def live_section(rt: Runtime) -> dict[str, Any]:
    return {
        "yaml": yaml.safe_dump(rt.config.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=110),
        "version": rt.config.version(),
        "scoring_version": rt.config.scoring.version(),
        "source": str(rt.settings.config_path) if rt.settings.config_path else "built-in defaults",
    }


def calibrate_section(session: Session, rt: Runtime) -> dict[str, Any]:
    """calibrate's decision on stored outcomes, as `healthloop calibrate --json` gives it, with its diff."""
    samples = load_samples(session, CALIBRATE_DAYS_BEFORE)
    if len(samples) > CALIBRATE_MAX_SAMPLES:
        return {"too_big": len(samples)}
    result = calibrate(samples, rt.config.scoring.weights, rt.config.scoring.tiers)
    data = calibration_json(result, CALIBRATE_DAYS_BEFORE)
    if result.weights is not None and result.tiers is not None:
        live = yaml.safe_dump(rt.config.model_dump(mode="json"), sort_keys=False).splitlines(keepends=True)
        proposed = proposed_yaml(rt.config, result).splitlines(keepends=True)
        data["diff"] = "".join(difflib.unified_diff(live, proposed, "live", "proposed", n=2))
    return data


def check_yaml(text: str) -> tuple[Config | None, list[str]]:
    """Validate a proposed config exactly as `healthloop config check` does; errors name their line."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "proposed.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_config(path), []
        except ConfigError as exc:
            message = str(exc).replace(str(path), "proposed.yaml")
            lines = [line.strip() for line in message.splitlines() if line.strip()]
            return None, lines[1:] if len(lines) > 1 else lines


def replay_section(session: Session, rt: Runtime, proposed: Config, days: int) -> dict[str, Any]:
    accounts = session.scalar(select(func.count()).select_from(Account)) or 0
    if accounts > REPLAY_MAX_ACCOUNTS:
        return {"too_big": accounts}
    return diff_configs(session, rt.config, proposed, days, datetime.now(UTC).date())


def _render(**context: Any) -> ResponseReturnValue:
    rt = runtime()
    with rt.readers() as session:
        calibration = calibrate_section(session, rt)
    defaults = {"proposed_text": "", "errors": None, "diff": None, "days": 30, "checked": None}
    return render_template(
        "console/config.html",
        live=live_section(rt),
        calibration=calibration,
        replay_days=REPLAY_DAYS,
        replay_max=REPLAY_MAX_ACCOUNTS,
        **(defaults | context),
    )


@bp.get("/config")
def config() -> ResponseReturnValue:
    return _render()


@bp.post("/config/check")
@admin_required("config_check")
def config_check() -> ResponseReturnValue:
    rt = runtime()
    text = request.form.get("proposed", "")
    days = request.form.get("days", type=int) or 30
    days = days if days in REPLAY_DAYS else 30
    if len(text.encode()) > MAX_YAML_BYTES:
        errors = [f"the proposed config is over {MAX_YAML_BYTES // 1000} KB; is it the right file?"]
        log_action("config_check", outcome="failed", problems=errors)
        return _render(proposed_text="", errors=errors, days=days, checked=False)
    proposed, errors = check_yaml(text)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    if proposed is None:
        log_action("config_check", outcome="failed", sha256=digest, problems=errors[:20])
        return _render(proposed_text=text, errors=errors, days=days, checked=False)
    with rt.readers() as session:
        diff = replay_section(session, rt, proposed, days)
    log_action("config_check", sha256=digest, version=proposed.version(), days=days,
               changed=diff.get("changed", []), tier_changes=diff.get("tier_changes"))  # fmt: skip
    return _render(proposed_text=text, errors=[], diff=diff, days=days, checked=True, version=proposed.version())
