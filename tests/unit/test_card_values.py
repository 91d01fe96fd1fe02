"""The values the Python side writes for a sample account, in exactly the formats the CRM cards read
(docs/crm-cards.md), and fed to the cards' own view model (`healthView.js`, under Node) as each CRM returns them:
every section filled, nothing reads "undefined", "NaN" or "null"."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import namedtuple
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from connector.config.crm_section import VALUE_TYPES, CrmConfig, default_field_name
from connector.crm.account_facts import AccountFacts
from connector.crm.record_values import NextAction, health_values
from crm_adapters.salesforce import fields as salesforce_fields
from scoring.labels import TRIGGER_LABELS

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "crm_cards" / "hubspot" / "src" / "app" / "cards"
CONTRACT = (ROOT / "docs" / "crm-cards.md").read_text()
Row = namedtuple(
    "Row",
    "account_id day score tier trend_direction trend_delta scored_at reason signals churn_probability churn_drivers",
)
DAY = date(2026, 12, 7)
SIGNALS = {
    "activity": {"value": 34.2, "explanation": "399 meaningful actions in 14 days vs 1400 expected for 50 seats"},
    "engagement": {"value": 62.0, "explanation": "In 28 days: 5 of 5 key features"},
    "milestones": {"value": None, "explanation": "no milestone due yet"},
    "recency": {"value": 100.0, "explanation": "last meaningful activity today"},
}


DRIVERS = {"days_silent": 0.8123, "seats": 0.31}


def sample(churn_model_in_use: bool = True, probability: float | None = 0.12345) -> dict[str, str | None]:
    row = Row("acct_globex", DAY, 62, "monitor", "declining", -4, datetime(2026, 12, 7, 0, 15, tzinfo=UTC),
              "Activity 34/100: 399 meaningful actions in 14 days\nsecond line", SIGNALS, probability,
              None if probability is None else DRIVERS)  # fmt: skip
    scores = {DAY - timedelta(days=n): 66 - n // 7 for n in range(1, 20) if n != 5}
    facts = AccountFacts(
        scores=scores,
        last_activity_at=datetime(2026, 12, 6, 17, 3, 9, 500000, tzinfo=UTC),
        active_users=30,
        seats=50,
        features=["Report Created", "Dashboard Viewed", "Export Completed"],
        key_features=5,
        open_tickets=1,
        renewal_on=date(2027, 2, 25),
        mrr=4500.0,
    )
    action = NextAction("Educate: feature adoption nudges", "Ben Okafor", datetime(2026, 12, 10, 0, 15, tzinfo=UTC))
    return health_values(
        row, ["seats_inactive", "low_score"], facts, action, "https://hl.example.com/", churn_model_in_use
    )


def test_every_value_the_contract_lists_is_written_under_its_field_names():
    for key in VALUE_TYPES:
        assert f"`healthloop_{key}`" in CONTRACT and f"`{default_field_name('salesforce', key)}`" in CONTRACT, key
    assert set(sample()) == set(VALUE_TYPES)


def test_the_values_have_the_formats_the_cards_read():
    values = sample()
    history = values["score_history"] or ""
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}:(\d*,){29}\d*", history), history
    first, slots = history.split(":")
    assert first == (DAY - timedelta(days=29)).isoformat() and len(slots.split(",")) == 30
    assert slots.split(",")[-1] == "62" and slots.split(",")[-6] == "", "the last slot is today; a gap stays empty"
    assert values["signal_notes"] == (
        "activity: 399 meaningful actions in 14 days vs 1400 expected for 50 seats\n"
        "engagement: In 28 days: 5 of 5 key features\n"
        "milestones: no milestone due yet\n"
        "recency: last meaningful activity today"
    )
    assert values["milestones"] is None and values["activity"] == "34", "empty when no inputs; whole numbers"
    assert values["open_triggers"] == "low_score;seats_inactive"
    assert values["last_activity_at"] == "2026-12-06T17:03:09.500Z"
    assert values["next_action_due"] == "2026-12-10T00:15:00.000Z" and values["next_action_owner"] == "Ben Okafor"
    assert values["renewal_date"] == "2027-02-25" and values["mrr"] == "4500"
    assert values["features_adopted"] == "3 of 5: Report Created, Dashboard Viewed, Export Completed"
    assert (values["active_users"], values["seats"], values["open_tickets"]) == ("30", "50", "1")
    assert values["account_url"] == "https://hl.example.com/console/accounts/acct_globex"
    assert values["reason"] == "Activity 34/100: 399 meaningful actions in 14 days", "one line"
    assert values["churn_probability"] == "12.3", "percent, one decimal"
    assert values["churn_drivers"] == "days since the last meaningful action +0.8, seats +0.3"


@pytest.mark.parametrize(
    ("probability", "shown"), [(0.5, "50"), (0.0004, "0"), (0.99951, "100"), (0.0, "0"), (1.0, "100")]
)
def test_the_churn_probability_is_a_percentage_with_at_most_one_decimal(probability, shown):
    assert sample(probability=probability)["churn_probability"] == shown


def test_no_churn_probability_without_a_model_in_use_or_without_a_stored_one():
    retired = sample(churn_model_in_use=False)
    assert (retired["churn_probability"], retired["churn_drivers"]) == (None, None), "a retired model's number clears"
    unscored = sample(probability=None)
    assert (unscored["churn_probability"], unscored["churn_drivers"]) == (None, None)


def test_the_multi_select_options_carry_the_cards_words():
    [spec] = [s for s in CrmConfig().mapping().fields if s.source == "open_triggers"]
    assert spec.kind == "multiselect" and dict(zip(spec.options, spec.option_labels, strict=True)) == TRIGGER_LABELS
    cards = (CARD / "healthView.js").read_text()
    for trigger, label in TRIGGER_LABELS.items():
        assert f"{trigger}: '{label}'" in cards, f"the card says {trigger} the same way"


def _as_salesforce_returns(values: dict[str, str | None]) -> dict[str, object]:
    """What a Salesforce record gives the LWC: typed values (numbers, `+0000` datetimes, null)."""
    kinds = {spec.source: spec.kind for spec in CrmConfig().mapping("salesforce").fields}
    typed: dict[str, object] = {}
    for key, value in values.items():
        encoded = salesforce_fields.encode_value(kinds[key], value)
        if kinds[key] == "datetime" and encoded:
            encoded = encoded.replace("Z", "+0000")
        typed[key] = encoded
    return typed


def _strings(value: object) -> list[str]:
    """Every text in a view model (what the card puts on screen)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


@pytest.mark.skipif(shutil.which("node") is None, reason="the cards' view model runs under Node")
def test_the_cards_view_model_shows_every_section_without_undefined_or_nan(tmp_path: Path):
    for name in ("healthView.js", "fieldValues.js"):
        source = (CARD / name).read_text().replace("from './fieldValues'", "from './fieldValues.mjs'")
        (tmp_path / name.replace(".js", ".mjs")).write_text(source)
    hubspot = {key: "" if value is None else value for key, value in sample().items()}  # HubSpot: strings
    script = tmp_path / "render.mjs"
    script.write_text(
        "import { buildHealthView } from './healthView.mjs';\n"
        "const records = JSON.parse(process.argv[2]);\n"
        "const now = Date.UTC(2026, 11, 7, 12);\n"
        "console.log(JSON.stringify(records.map((r) => buildHealthView(r, "
        "{ now, locale: 'en-US', timeZone: 'UTC', noun: 'company' }))));\n"
    )
    payload = json.dumps([hubspot, _as_salesforce_returns(sample())])
    done = subprocess.run(["node", str(script), payload], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for view in json.loads(done.stdout):
        shown = list(_strings(view))
        assert shown and not [text for text in shown if re.search(r"undefined|NaN|null", text)]
        assert view["scored"] and view["score"] == 62 and view["tier"]["label"] == "Monitor"
        assert [p["value"] for p in view["history"]["points"]][-1] == 62 and view["history"]["hasChart"]
        assert [t["label"] for t in view["triggers"]["shown"]] == ["Low health score", "Most seats idle"]
        assert [s["note"] is not None for s in view["signals"]] == [True, True, True, True]
        assert view["signals"][2]["valueText"] == "no data"
        assert view["action"]["owner"] == "Ben Okafor" and view["action"]["dueRelative"] == "in 3 days"
        assert view["usage"]["activeUsers"] == "30 of 50 seats" and view["usage"]["openTickets"] == "1"
        assert view["usage"]["featuresAdopted"].startswith("3 of 5") and view["usage"]["lastActivity"] != "—"
        assert view["renewal"]["date"] == "Feb 25, 2027" and view["renewal"]["mrr"] == "4,500"
        assert view["accountUrl"] == "https://hl.example.com/console/accounts/acct_globex"
        assert view["churnRisk"] == "Churn risk (30 d): 12%"
