"""Salesforce custom-field metadata and describe checks, value encoding, and the pure record mappings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from crm_adapters.base import FieldMapping, FieldSpec, NoteSpec, TaskSpec
from crm_adapters.errors import CrmConfigError
from crm_adapters.rich_text import Bullets, Link, Paragraph, RichText
from crm_adapters.salesforce import fields, records
from crm_adapters.salesforce.calls import first_error

SCORE = FieldSpec("score", "Healthloop_Score__c", "Health score", "number")
DELTA = FieldSpec("trend_delta", "Healthloop_Trend_Delta__c", "Health trend delta", "number")
TIER = FieldSpec("tier", "Healthloop_Tier__c", "Health tier", "enumeration", ("healthy", "monitor", "at_risk"))
SCORED_AT = FieldSpec("scored_at", "Healthloop_Scored_At__c", "Health scored at", "datetime")
REASON = FieldSpec("reason", "Healthloop_Reason__c", "Health: reason", "text", description="Why")


def live(data_type: str, *, values: tuple[str, ...] = (), updateable: bool = True, **extra) -> dict:
    return {
        "name": "x",
        "type": data_type,
        "updateable": updateable,
        "picklistValues": [{"value": v, "label": v, "active": True, "defaultValue": False} for v in values],
        **extra,
    }


@pytest.mark.parametrize(
    ("spec", "sf_type"),
    [(SCORE, "Number"), (TIER, "Picklist"), (SCORED_AT, "DateTime"), (REASON, "LongTextArea")],
)
def test_each_kind_becomes_the_matching_salesforce_type(spec, sf_type):
    body = fields.create_body("Account", spec.name, fields.field_metadata(spec))
    assert body["FullName"] == f"Account.{spec.name}"
    assert body["Metadata"]["type"] == sf_type
    assert body["Metadata"]["label"] == spec.label


def test_numbers_are_sized_for_their_values_and_long_text_holds_32k():
    assert {k: fields.field_metadata(SCORE)[k] for k in ("precision", "scale")} == {"precision": 3, "scale": 0}
    assert fields.field_metadata(DELTA)["precision"] == 4
    assert fields.field_metadata(REASON)["length"] == 32768


def test_picklist_values_are_ours_with_readable_labels_and_restricted():
    value_set = fields.field_metadata(TIER)["valueSet"]
    assert value_set["restricted"] is True
    assert [(v["fullName"], v["label"]) for v in value_set["valueSetDefinition"]["value"]] == [
        ("healthy", "Healthy"),
        ("monitor", "Monitor"),
        ("at_risk", "At Risk"),
    ]


def test_added_picklist_values_keep_the_existing_ones_first():
    existing = {"type": "Picklist", "valueSet": {"valueSetDefinition": {"value": [{"fullName": "healthy"}]}}}
    values = fields.with_added_values(existing, ["at_risk"])["valueSet"]["valueSetDefinition"]["value"]
    assert [v["fullName"] for v in values] == ["healthy", "at_risk"]
    assert existing["valueSet"]["valueSetDefinition"]["value"] == [{"fullName": "healthy"}]


def test_key_fields_are_unique_external_ids():
    metadata = fields.key_field_metadata("healthloop key", "d")
    assert (metadata["type"], metadata["length"], metadata["externalId"], metadata["unique"]) == (
        "Text",
        255,
        True,
        True,
    )


def test_custom_names_must_end_in_double_underscore_c_and_be_identifiers():
    assert fields.require_custom("Healthloop_Score__c") == "Healthloop_Score__c"
    with pytest.raises(CrmConfigError, match="__c"):
        fields.require_custom("healthloop_score")
    with pytest.raises(CrmConfigError, match="not a Salesforce field name"):
        fields.soql_name("Score__c) OR Id != null")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (SCORE, live("double")),
        (SCORE, live("int")),
        (SCORE, live("percent")),
        (TIER, live("picklist", values=("healthy", "monitor", "at_risk", "extra"))),
        (SCORED_AT, live("datetime")),
        (REASON, live("textarea")),
        (REASON, live("string")),
    ],
)
def test_compatible_fields_check_clean(spec, field):
    assert fields.check_field(spec, field).ok


def test_a_missing_field_names_provision_and_field_level_security():
    check = fields.check_field(SCORE, None)
    assert (check.ok, check.problem) == (False, "missing")
    assert "healthloop crm provision" in check.fix and "field-level security" in check.fix


def test_a_wrong_type_says_what_is_needed():
    check = fields.check_field(SCORED_AT, live("date"))
    assert (check.ok, check.problem) == (False, "wrong_type")
    assert "DateTime" in check.detail and "drops the time" in check.detail


def test_a_picklist_lacking_values_names_them():
    check = fields.check_field(TIER, live("picklist", values=("healthy",)))
    assert (check.problem, check.detail.endswith("monitor, at_risk")) == ("missing_options", True)


def test_an_inactive_picklist_value_counts_as_missing():
    field = live("picklist", values=("healthy", "monitor", "at_risk"))
    field["picklistValues"][2]["active"] = False
    assert fields.check_field(TIER, field).problem == "missing_options"


def test_a_field_the_user_cannot_update_is_read_only():
    check = fields.check_field(SCORE, live("double", updateable=False))
    assert check.problem == "read_only" and "field-level security" in check.fix


def test_the_match_field_must_be_filterable_text():
    match = FieldMapping((), match_field="Healthloop_Account_Id__c").match_spec()
    assert fields.check_field(match, live("string", updateable=False), match=True).ok
    assert fields.check_field(match, live("textarea", filterable=False), match=True).problem == "wrong_type"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("number", "55", 55),
        ("number", "55.0", 55),
        ("number", "-12.5", -12.5),
        ("datetime", "2026-03-01T10:00:00+01:00", "2026-03-01T09:00:00.000Z"),
        ("datetime", "2026-03-01T10:00:00", "2026-03-01T10:00:00.000Z"),
        ("enumeration", "at_risk", "at_risk"),
        ("text", "seats idle", "seats idle"),
        ("number", None, None),
        ("text", "", None),
    ],
)
def test_values_are_encoded_for_salesforce_json_by_kind(kind, value, expected):
    assert fields.encode_value(kind, value) == expected


@pytest.mark.parametrize(("kind", "value"), [("number", "lots"), ("number", "nan"), ("datetime", "yesterday")])
def test_values_a_field_cannot_take_are_refused(kind, value):
    with pytest.raises(ValueError):
        fields.encode_value(kind, value)


def test_a_task_record_carries_every_task_field():
    due = datetime(2026, 6, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    task = body = RichText(
        (Paragraph("Score 41", lead="Low health score."), Bullets(("a", "b")), Link("Open", "https://x.io"))
    )
    task = TaskSpec("iv-1", "001000000000001AAA", "Call Acme", body, due, "MEDIUM", "CALL", "005000000000001AAA")
    record = records.task_record(task, status="Not Started", key_field="Healthloop_Key__c")
    assert record == {
        "attributes": {"type": "Task"},
        "Subject": "Call Acme",
        "Description": "Low health score. Score 41\n\n- a\n- b\n\nOpen: https://x.io",
        "ActivityDate": "2026-06-02",
        "Priority": "Normal",
        "Status": "Not Started",
        "WhatId": "001000000000001AAA",
        "TaskSubtype": "Call",
        "Healthloop_Key__c": "iv-1",
        "OwnerId": "005000000000001AAA",
    }


def test_a_note_becomes_a_completed_task_named_by_its_first_line():
    note = NoteSpec(
        "note-1",
        "001000000000001AAA",
        RichText.of("At Risk -> Critical", "seats idle"),
        datetime(2026, 6, 1, tzinfo=UTC),
    )
    record = records.note_record(note, status="Completed", key_field="Healthloop_Key__c")
    assert (record["Subject"], record["Status"], record["ActivityDate"]) == (
        "healthloop: At Risk -> Critical",
        "Completed",
        "2026-06-01",
    )


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"id": "001A", "success": True, "errors": []}, (True, False, False)),
        ({"success": False, "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "gone"}]}, (False, False, True)),
        ({"success": False, "errors": [{"statusCode": "INVALID_CROSS_REFERENCE_KEY"}]}, (False, False, True)),
        (
            {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked"}]},
            (False, True, False),
        ),
        (
            {"success": False, "errors": [{"statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"}]},
            (False, False, False),
        ),
    ],
)
def test_save_results_become_outcomes(result, expected):
    outcome = records.save_outcome("acct", "001A", result)
    assert (outcome.ok, outcome.retryable, outcome.not_found) == expected


def test_the_default_open_and_a_closed_task_status_come_from_task_status_rows():
    rows = [
        {"ApiName": "In Progress", "IsClosed": False, "IsDefault": False},
        {"ApiName": "Open", "IsClosed": False, "IsDefault": True},
        {"ApiName": "Done", "IsClosed": True, "IsDefault": False},
    ]
    assert records.task_statuses(rows) == ("Open", "Done")


def test_opportunities_become_renewals_by_is_won_not_stage_name():
    row = {"Id": "006A", "AccountId": "001A", "Name": "Renewal", "StageName": "Signed", "IsClosed": True,
           "IsWon": True, "CloseDate": "2026-05-01", "Amount": 1200.0}  # fmt: skip
    renewal = records.renewal(row)
    assert (renewal.record_id, renewal.won, renewal.closed, renewal.close_date, renewal.amount) == (
        "001A",
        True,
        True,
        date(2026, 5, 1),
        1200.0,
    )


def test_task_completion_times_parse_salesforce_offsets():
    status = records.task_status({"Id": "00T1", "Status": "Completed", "IsClosed": True,
                                  "CompletedDateTime": "2026-05-01T10:00:00.000+0000"})  # fmt: skip
    assert status.completed and status.completed_at == datetime(2026, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://WWW.Acme.com/pricing", "acme.com"),
        ("acme.com", "acme.com"),
        ("http://acme.com:8080", "acme.com"),
        ("", None),
    ],
)
def test_websites_normalize_to_domains(value, expected):
    assert records.normalize_domain(value) == expected


def test_in_lists_are_chunked_by_count_and_by_size():
    assert [len(c) for c in records.in_chunks([f"a{i}" for i in range(450)])] == [200, 200, 50]
    long_values = ["x" * 250] * 40
    assert all(sum(len(v) for v in c) * 3 < 16000 for c in records.in_chunks(long_values))


def test_error_bodies_give_code_and_message():
    assert first_error([{"message": "expired", "errorCode": "INVALID_SESSION_ID"}]) == ("INVALID_SESSION_ID", "expired")
    assert first_error({"error": "invalid_grant", "error_description": "authentication failure"})[0] == "invalid_grant"


@pytest.mark.parametrize(
    ("state", "disposition", "replied"),
    [
        ("Running", None, None),
        ("Complete", "Customer Engaged", True),
        ("Complete", "Not Interested", True),
        ("Complete", "No Response", False),
        ("Complete", None, False),
    ],
)
def test_a_cadence_disposition_says_whether_the_contact_answered(state, disposition, replied):
    from crm_adapters.salesforce.cadences import CadenceTracker, enrollment_status

    tracker = CadenceTracker("t1", "77C1", "003x", state, "ManuallyRemoved", disposition)
    status = enrollment_status("003x", tracker)
    assert status.replied is replied and status.state.startswith(state)
