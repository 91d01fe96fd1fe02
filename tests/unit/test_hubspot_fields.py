"""HubSpot property bodies and schema checks, and the pure record mappings of the HubSpot adapter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from crm_adapters.base import FieldMapping, FieldSpec, TaskSpec
from crm_adapters.hubspot import fields, html_body, records
from crm_adapters.rich_text import Bullets, Link, Paragraph, RichText

SCORE = FieldSpec("score", "healthloop_score", "Health score", "number")
TIER = FieldSpec("tier", "healthloop_tier", "Health tier", "enumeration", ("healthy", "monitor", "at_risk"))
SCORED_AT = FieldSpec("scored_at", "healthloop_scored_at", "Health scored at", "datetime")
REASON = FieldSpec("reason", "healthloop_reason", "Health: reason", "text", description="Why")


def live(kind: str, field_type: str, *, options: tuple[str, ...] = (), read_only: bool = False, **extra) -> dict:
    return {
        "name": "x",
        "type": kind,
        "fieldType": field_type,
        "options": [{"value": v, "label": v, "hidden": False, "displayOrder": i} for i, v in enumerate(options)],
        "modificationMetadata": {"readOnlyValue": read_only, "archivable": True, "readOnlyDefinition": False},
        **extra,
    }


@pytest.mark.parametrize(
    ("spec", "kind", "field_type"),
    [
        (SCORE, "number", "number"),
        (TIER, "enumeration", "select"),
        (SCORED_AT, "datetime", "date"),
        (REASON, "string", "textarea"),
    ],
)
def test_each_kind_becomes_the_matching_hubspot_type(spec, kind, field_type):
    body = fields.property_create_body(spec, "healthloop")
    assert (body["type"], body["fieldType"], body["groupName"], body["name"]) == (
        kind,
        field_type,
        "healthloop",
        spec.name,
    )


def test_enumeration_options_carry_our_values_and_readable_labels():
    options = fields.property_create_body(TIER, "healthloop")["options"]
    assert [(o["value"], o["label"], o["displayOrder"]) for o in options] == [
        ("healthy", "Healthy", 0),
        ("monitor", "Monitor", 1),
        ("at_risk", "At Risk", 2),
    ]
    assert all(o["hidden"] is False for o in options)


def test_unique_key_property_has_unique_values():
    body = fields.unique_key_body("healthloop_intervention_key", "healthloop intervention", "healthloop", "d")
    assert body["hasUniqueValue"] is True
    assert (body["type"], body["fieldType"]) == ("string", "text")


def test_adding_options_keeps_every_existing_option_and_appends_ours():
    current = live("enumeration", "select", options=("healthy", "custom_value"))
    body = fields.options_update_body(TIER, current)
    assert [o["value"] for o in body["options"]] == ["healthy", "custom_value", "monitor", "at_risk"]
    assert [o["displayOrder"] for o in body["options"]] == [0, 1, 2, 3]


def test_a_compatible_property_checks_ok():
    assert fields.check_property(SCORE, live("number", "number")).ok
    assert fields.check_property(TIER, live("enumeration", "radio", options=TIER.options)).ok
    assert fields.check_property(SCORED_AT, live("datetime", "date")).ok
    assert fields.check_property(REASON, live("string", "text")).ok


def test_a_missing_property_says_how_to_create_it():
    check = fields.check_property(SCORE, None)
    assert (check.ok, check.problem) == (False, "missing")
    assert "healthloop crm provision" in check.fix


def test_a_date_property_cannot_hold_a_timestamp():
    check = fields.check_property(SCORED_AT, live("date", "date"))
    assert check.problem == "wrong_type"
    assert "midnight" in check.detail


@pytest.mark.parametrize(("kind", "field_type"), [("string", "text"), ("enumeration", "select"), ("bool", "checkbox")])
def test_a_number_field_needs_a_number_property(kind, field_type):
    check = fields.check_property(SCORE, live(kind, field_type))
    assert check.problem == "wrong_type"
    assert "number/number" in check.detail and check.fix


def test_an_enumeration_lacking_our_values_names_them():
    check = fields.check_property(TIER, live("enumeration", "select", options=("healthy",)))
    assert check.problem == "missing_options"
    assert "monitor, at_risk" in check.detail


def test_a_read_only_property_is_reported():
    assert fields.check_property(SCORE, live("number", "number", read_only=True)).problem == "read_only"
    assert fields.check_property(SCORE, live("number", "number", calculated=True)).problem == "read_only"


def test_an_account_id_match_field_must_be_unique():
    spec = FieldMapping((), match_field="healthloop_account_id").match_spec()
    assert fields.check_property(spec, live("string", "text", hasUniqueValue=True), unique=True).ok
    check = fields.check_property(spec, live("string", "text", hasUniqueValue=False), unique=True)
    assert (check.ok, check.problem) == (False, "wrong_type")
    assert "unique" in check.detail


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Acme.com", "acme.com"),
        ("www.acme.com", "acme.com"),
        ("https://WWW.Acme.com/pricing?x=1", "acme.com"),
        ("acme.com:443", "acme.com"),
        ("", None),
        (None, None),
    ],
)
def test_domains_are_normalized_like_hubspot_stores_them(raw, normalized):
    assert records.normalize_domain(raw) == normalized


def test_task_properties_carry_due_time_in_utc_and_the_key():
    due = datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    task = TaskSpec("iv-1", "9001", "Re-engage Acme", RichText.of("Score dropped"), due, "HIGH", "CALL", owner_id="42")
    props = records.task_properties(task, "healthloop_intervention_key")
    assert props == {
        "hs_timestamp": "2026-11-30T08:00:00.000Z",
        "hs_task_subject": "Re-engage Acme",
        "hs_task_body": "<p>Score dropped</p>",
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH",
        "hs_task_type": "CALL",
        "hubspot_owner_id": "42",
        "healthloop_intervention_key": "iv-1",
    }


def test_appending_a_note_twice_changes_nothing_the_second_time():
    update = RichText((Paragraph("Most seats idle cleared.", lead="Update 2026-12-07:"),))
    once = records.append_note("<p>Score dropped</p>", update)
    assert once == "<p>Score dropped</p><p><strong>Update 2026-12-07:</strong> Most seats idle cleared.</p>"
    assert records.append_note(once, update) is None
    assert records.append_note("", RichText.of("cleared")) == "<p>cleared</p>"


def test_a_body_is_rich_text_with_everything_escaped_and_only_http_links():
    body = RichText(
        (
            Paragraph("Acme's <script> & co\nnext line", lead="Low health score."),
            Bullets(("4 of 5 seats idle", "1 < 2")),
            Link("Open Acme in healthloop", "https://hl.example.com/console/accounts/acct%201"),
            Link("not a link", "javascript:alert(1)"),
        )
    )
    assert html_body.html(body) == (
        "<p><strong>Low health score.</strong> Acme&#x27;s &lt;script&gt; &amp; co<br>next line</p>"
        "<ul><li>4 of 5 seats idle</li><li>1 &lt; 2</li></ul>"
        '<p><a href="https://hl.example.com/console/accounts/acct%201">Open Acme in healthloop</a></p>'
        "<p>not a link: javascript:alert(1)</p>"
    )


def test_a_207_names_the_records_that_failed():
    body = {
        "status": "COMPLETE",
        "results": [],
        "errors": [
            {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "gone", "context": {"ids": ["2", "3"]}},
            {"status": "error", "category": "VALIDATION_ERROR", "message": "bad", "context": {"ids": ["5"]}},
        ],
    }
    failures = records.batch_failures(body)
    assert failures["2"] == failures["3"] == (records.NOT_FOUND_REASON, True)
    assert failures["5"] == ("VALIDATION_ERROR: bad", False)


def test_a_won_renewal_deal_maps_to_a_won_renewal():
    renewal = records.renewal(
        "9001",
        "77",
        {"dealname": "Acme renewal", "amount": "12000.5", "closedate": "2026-10-01T00:00:00.000Z",
         "dealstage": "closedwon", "hs_is_closed": "true", "hs_is_closed_won": "true"},
    )  # fmt: skip
    assert (renewal.closed, renewal.won, renewal.close_date, renewal.amount) == (True, True, date(2026, 10, 1), 12000.5)


def test_renewal_flags_fall_back_on_stock_stages():
    lost = records.renewal("1", "2", {"dealstage": "closedlost"})
    open_deal = records.renewal("1", "3", {"dealstage": "appointmentscheduled", "amount": ""})
    assert (lost.closed, lost.won) == (True, False)
    assert (open_deal.closed, open_deal.won, open_deal.amount) == (False, False, None)


def test_hubspot_instants_parse_from_iso_and_epoch_millis():
    expected = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert records.parse_instant("2026-11-30T12:00:00.000Z") == expected
    assert records.parse_instant(str(int(expected.timestamp() * 1000))) == expected
    assert records.parse_instant("not a time") is None
