"""The official simple-salesforce client, unmodified, against the sandbox's Salesforce org over real HTTPS."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from crm_adapters.sandbox import SandboxServer

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
PASSWORD_GRANT = {
    "grant_type": "password",
    "client_id": "sandbox-consumer-key",
    "client_secret": "sandbox-consumer-secret",
    "username": "sandbox@example.com",
    "password": "sandbox-password" + "sandbox-security-token",
}
SCORE_FIELD = {"FullName": "Account.Health_Score__c", "Metadata": {"label": "Health Score", "type": "Number"}}
SCORE_FIELD["Metadata"] |= {"precision": 3, "scale": 0}
TIER_FIELD = {
    "FullName": "Account.Health_Tier__c",
    "Metadata": {
        "label": "Health Tier",
        "type": "Picklist",
        "valueSet": {
            "restricted": True,
            "valueSetDefinition": {
                "sorted": False,
                "value": [
                    {"fullName": "healthy", "label": "Healthy", "default": False},
                    {"fullName": "at_risk", "label": "At risk", "default": False},
                ],
            },
        },
    },
}


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(tls=True) as server:
        yield server


def trusted_session(server: SandboxServer) -> requests.Session:
    """Trust the sandbox CA. trust_env=False: requests lets REQUESTS_CA_BUNDLE override `session.verify`."""
    session = requests.Session()
    session.verify = server.ca_file
    session.trust_env = False
    return session


def token_response(server: SandboxServer, **form: str) -> requests.Response:
    return trusted_session(server).post(f"{server.salesforce_url}/services/oauth2/token", data=PASSWORD_GRANT | form)


def client_for(server: SandboxServer, access_token: str | None = None) -> Salesforce:
    """The adapter's way in: a session from the token endpoint, then `Salesforce(instance_url, session_id)`."""
    body = token_response(server).json()
    return Salesforce(
        instance_url=body["instance_url"],
        session_id=access_token or body["access_token"],
        session=trusted_session(server),
        version="59.0",
    )


@pytest.fixture
def sf(sandbox: SandboxServer) -> Salesforce:
    return client_for(sandbox)


def _control(server: SandboxServer, method: str, path: str, body: object = None) -> requests.Response:
    return requests.request(
        method,
        f"{server.url}/_sandbox/salesforce/{path}",
        json=body,
        headers={"Authorization": f"Bearer {server.token}"},
    )


def _error(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.content[0]


# ---- OAuth ------------------------------------------------------------------------------------


def test_password_grant_answers_like_salesforce_and_bad_credentials_get_invalid_grant(sandbox):
    body = token_response(sandbox).json()
    assert body["instance_url"] == sandbox.salesforce_url and body["token_type"] == "Bearer"
    assert {"access_token", "id", "issued_at", "signature"} <= set(body)

    wrong = token_response(sandbox, password="sandbox-password")  # security token missing
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    assert token_response(sandbox, client_id="nope").json()["error"] == "invalid_client_id"
    assert token_response(sandbox, grant_type="magic").json()["error"] == "unsupported_grant_type"
    refreshed = token_response(sandbox, grant_type="refresh_token", refresh_token="sandbox-refresh-token")
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != body["access_token"]


def test_hubspot_and_salesforce_tokens_do_not_open_each_other(sandbox):
    with pytest.raises(SalesforceExpiredSession) as refused:
        client_for(sandbox, access_token=sandbox.token).Account.describe()
    assert _error(refused) == {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    session_id = token_response(sandbox).json()["access_token"]
    hubspot = requests.get(f"{sandbox.url}/crm/v3/owners", headers={"Authorization": f"Bearer {session_id}"})
    assert hubspot.status_code == 401


def test_jwt_bearer_grant_verifies_the_assertion_with_the_registered_key(sandbox):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    expires = int(time.time()) + 180

    def grant(signing_key: rsa.RSAPrivateKey = key, **claims: object) -> requests.Response:
        payload = {"iss": "sandbox-consumer-key", "sub": "sandbox@example.com", "aud": sandbox.salesforce_url}
        assertion = jwt.encode(payload | {"exp": expires} | claims, signing_key, algorithm="RS256")
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        return trusted_session(sandbox).post(f"{sandbox.salesforce_url}/services/oauth2/token", data=form)

    assert grant().json()["error"] == "invalid_grant"  # no certificate registered yet
    sandbox.configure_salesforce(jwt_public_key=public.decode())
    issued = grant()
    assert issued.status_code == 200, issued.text
    sf = client_for(sandbox, access_token=issued.json()["access_token"])
    assert sf.query("SELECT Id FROM User")["totalSize"] == 3

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert grant(other_key).json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
    assert grant(aud="https://elsewhere.example.com").json()["error"] == "invalid_grant"
    assert grant(exp=int(time.time()) - 10).json()["error"] == "invalid_grant"
    assert grant(exp=str(expires)).status_code == 200  # simple-salesforce's own JWT login sends exp as a string
    assert grant(iss="someone-else").json()["error"] == "invalid_client_id"


def test_expired_sessions_raise_and_a_new_token_works(sandbox, sf):
    sf.query("SELECT Id FROM Account")
    sandbox.expire_sessions()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")
    assert client_for(sandbox).query("SELECT Id FROM Account")["totalSize"] == 0


# ---- describe and SOQL ------------------------------------------------------------------------


def test_describe_lists_standard_fields_with_their_properties(sf):
    account = sf.Account.describe()
    fields = {f["name"]: f for f in account["fields"]}
    assert account["name"] == "Account" and account["custom"] is False and account["keyPrefix"] == "001"
    assert {"Id", "Name", "Website", "OwnerId", "Type", "Industry"} <= set(fields)
    assert fields["OwnerId"]["type"] == "reference" and fields["OwnerId"]["referenceTo"] == ["User"]
    task = {f["name"]: f for f in sf.Task.describe()["fields"]}
    assert task["IsClosed"]["updateable"] is False and task["ActivityDate"]["type"] == "date"
    assert "Completed" in [v["value"] for v in task["Status"]["picklistValues"]]
    opportunity = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
    assert opportunity["StageName"]["restrictedPicklist"] is True and opportunity["IsWon"]["updateable"] is False
    with pytest.raises(SalesforceResourceNotFound):
        sf.Widget__c.describe()


def test_query_pages_with_next_records_url(sandbox, sf):
    sandbox.configure_salesforce(page_size=3)
    sandbox.seed_salesforce({"accounts": [{"Name": f"Co {index:02d}"} for index in range(10)]})
    first = sf.query("SELECT Id, Name FROM Account ORDER BY Name")
    assert first["totalSize"] == 10 and first["done"] is False and len(first["records"]) == 3
    assert re.fullmatch(r"/services/data/v59\.0/query/01g\w+-3", first["nextRecordsUrl"])
    assert first["records"][0]["attributes"]["type"] == "Account"
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert [r["Name"] for r in second["records"]] == ["Co 03", "Co 04", "Co 05"]
    everything = sf.query_all("SELECT Name FROM Account ORDER BY Name")
    assert [r["Name"] for r in everything["records"]] == [f"Co {index:02d}" for index in range(10)]
    assert sandbox.request_counts()["by_route"]["GET /services/data/{v}/query/{locator}"] == 4


def test_soql_filters_sort_and_limit(sandbox, sf):
    ids = sandbox.seed_salesforce(
        {
            "accounts": [{"Name": "O'Brien & Co"}, {"Name": "Acme", "Industry": "Technology"}, {"Name": "Beta"}],
            "opportunities": [
                {"Name": "Renewal 1", "StageName": "Prospecting", "CloseDate": "2026-11-30", "AccountIndex": 0},
                {"Name": "Renewal 2", "StageName": "Closed Won", "CloseDate": "2025-01-15", "AccountIndex": 1},
            ],
        }
    )
    names = ["O'Brien & Co", "Acme"]
    found = sf.query(format_soql("SELECT Id, Name FROM Account WHERE Name IN {} ORDER BY Name", names))
    assert [r["Name"] for r in found["records"]] == ["Acme", "O'Brien & Co"]
    assert sf.query(format_soql("SELECT Id FROM Account WHERE Name NOT IN {}", names))["totalSize"] == 1
    later = sf.query(format_soql("SELECT Name, Account.Name FROM Opportunity WHERE CloseDate > {}", date(2026, 1, 1)))
    assert [(r["Name"], r["Account"]["Name"]) for r in later["records"]] == [("Renewal 1", "O'Brien & Co")]
    since = format_soql("SELECT Id FROM Account WHERE CreatedDate >= {}", datetime.now(UTC) - timedelta(hours=1))
    assert sf.query(since)["totalSize"] == 3
    assert sf.query("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:7")["totalSize"] == 3
    query = "SELECT Name FROM Account WHERE (Industry = 'technology' OR Name LIKE 'Be%') ORDER BY Name DESC LIMIT 1"
    assert [r["Name"] for r in sf.query(query)["records"]] == ["Beta"]
    assert sf.query(format_soql("SELECT Id FROM Opportunity WHERE AccountId = {}", ids["accounts"][1]))["totalSize"]
    assert sf.query("SELECT COUNT() FROM Account WHERE Website = null AND Name != null")["totalSize"] == 3

    for soql, code in (
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
        ("SELECT Id, Foo__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Widget__c", "INVALID_TYPE"),
        ("SELECT Id FROM Opportunity WHERE CloseDate > '2026-01-01'", "MALFORMED_QUERY"),
    ):
        with pytest.raises(SalesforceMalformedRequest) as refused:
            sf.query(soql)
        assert _error(refused)["errorCode"] == code, soql
    huge = format_soql("SELECT Id FROM Account WHERE Id IN {}", ["001000000000000AAA"] * 1000)
    with pytest.raises(SalesforceGeneralError) as too_long:
        sf.query(huge)
    assert too_long.value.status == 414


# ---- records ----------------------------------------------------------------------------------


def test_single_record_create_get_update_delete_and_validation(sf):
    created = sf.Account.create({"Name": "Acme", "Website": "acme.com"})
    assert created["success"] is True and created["errors"] == [] and created["id"].startswith("001")
    assert len(created["id"]) == 18
    assert sf.Account.update(created["id"], {"Industry": "Technology"}) == 204
    record = sf.Account.get(created["id"])
    assert (record["Name"], record["Industry"], record["attributes"]["type"]) == ("Acme", "Technology", "Account")
    assert dict(sf.Account.get(created["id"], params={"fields": "Name"})) == {
        "attributes": record["attributes"],
        "Name": "Acme",
    }
    assert sf.Account.get(created["id"][:15])["Id"] == created["id"]  # 15-character ids resolve

    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.Account.update(created["id"], {"Colour__c": "red"})
    assert _error(unknown)["errorCode"] == "INVALID_FIELD" and "Colour__c" in _error(unknown)["message"]
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Opportunity.create({"Name": "Renewal"})
    assert _error(missing)["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(_error(missing)["fields"]) == {"StageName", "CloseDate"}

    assert sf.Account.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound) as deleted:
        sf.Account.get(created["id"])
    assert _error(deleted)["errorCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound) as bogus:
        sf.Account.get("001000000000000AAA")
    assert _error(bogus)["errorCode"] == "NOT_FOUND"
    assert sf.query_all("SELECT Id FROM Account", include_deleted=True)["totalSize"] == 1


def test_task_closedness_and_opportunity_outcome_are_derived(sandbox, sf):
    statuses = {r["ApiName"]: r["IsClosed"] for r in sf.query("SELECT ApiName, IsClosed FROM TaskStatus")["records"]}
    assert statuses["Completed"] is True and statuses["Not Started"] is False
    ids = sandbox.seed_salesforce(
        {"accounts": [{"Name": "Acme"}], "contacts": [{"LastName": "Lima", "AccountIndex": 0}]}
    )
    task_id = sf.Task.create({"Subject": "Re-engage Acme", "WhoId": ids["contacts"][0], "ActivityDate": "2026-06-01"})[
        "id"
    ]
    task = sf.Task.get(task_id)
    assert (task["Status"], task["IsClosed"], task["CompletedDateTime"]) == ("Not Started", False, None)
    assert task["AccountId"] == ids["accounts"][0] and task["Priority"] == "Normal"
    sf.Task.update(task_id, {"Status": "Completed"})
    done = sf.Task.get(task_id)
    assert done["IsClosed"] is True and done["CompletedDateTime"].endswith("+0000")
    with pytest.raises(SalesforceMalformedRequest) as read_only:
        sf.Task.update(task_id, {"IsClosed": False})
    assert _error(read_only)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceMalformedRequest) as restricted:
        sf.Task.update(task_id, {"Status": "Finished"})
    assert _error(restricted)["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"

    stages = sf.query("SELECT ApiName, IsClosed, IsWon FROM OpportunityStage WHERE IsWon = true")["records"]
    assert [s["ApiName"] for s in stages] == ["Closed Won"]
    deal = sf.Opportunity.create({"Name": "Renewal", "StageName": "Negotiation/Review", "CloseDate": "2026-11-30"})
    sf.Opportunity.update(deal["id"], {"StageName": "Closed Won"})
    won = sf.Opportunity.get(deal["id"])
    assert (won["IsClosed"], won["IsWon"], won["Probability"]) == (True, True, 100.0)


def test_upsert_by_external_id_creates_updates_and_refuses_ambiguity(sf):
    key = {"FullName": "Account.Healthloop_Key__c", "Metadata": {"label": "Key", "type": "Text", "length": 64}}
    key["Metadata"] |= {"externalId": True}
    sf.toolingexecute("sobjects/CustomField", method="POST", data=key)
    created = sf.Account.upsert("Healthloop_Key__c/acct-1", {"Name": "Acme"}, raw_response=True)
    assert created.status_code == 201 and created.json()["created"] is True
    assert sf.Account.upsert("Healthloop_Key__c/acct-1", {"Name": "Acme Inc"}) == 204
    assert sf.Account.get_by_custom_id("Healthloop_Key__c", "acct-1")["Name"] == "Acme Inc"
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 1
    sf.Account.create({"Name": "Acme twin", "Healthloop_Key__c": "acct-1"})  # not unique: duplicates allowed
    with pytest.raises(SalesforceMoreThanOneRecord) as ambiguous:
        sf.Account.upsert("Healthloop_Key__c/acct-1", {"Name": "Which?"})
    assert len(ambiguous.value.content) == 2

    unique = {"FullName": "Account.Unique_Key__c", "Metadata": {"label": "U", "type": "Text", "length": 20}}
    unique["Metadata"] |= {"externalId": True, "unique": True}
    sf.toolingexecute("sobjects/CustomField", method="POST", data=unique)
    sf.Account.upsert("Unique_Key__c/u-1", {"Name": "One"})
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.Account.create({"Name": "Two", "Unique_Key__c": "U-1"})
    assert _error(duplicate)["errorCode"] == "DUPLICATE_VALUE"


# ---- sObject Collections ----------------------------------------------------------------------


def _accounts(sf: Salesforce, count: int) -> list[str]:
    records = [{"attributes": {"type": "Account"}, "Name": f"Co {index}"} for index in range(count)]
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert all(result["success"] for result in results)
    return [result["id"] for result in results]


def test_collections_update_reports_per_record_errors_in_request_order(sf):
    sf.toolingexecute("sobjects/CustomField", method="POST", data=SCORE_FIELD)
    ids = _accounts(sf, 3)
    sf.Account.delete(ids[1])
    records = [{"attributes": {"type": "Account"}, "id": key, "Health_Score__c": 70 + n} for n, key in enumerate(ids)]
    results = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED" and results[0]["id"] == ids[0]
    scores = sf.query(format_soql("SELECT Health_Score__c FROM Account WHERE Id IN {} ORDER BY Name", ids))
    assert [r["Health_Score__c"] for r in scores["records"]] == [70.0, 72.0]

    rolled = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={"allOrNone": True, "records": [records[0] | {"Health_Score__c": 5}, records[1]]},
    )
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sf.Account.get(ids[0])["Health_Score__c"] == 70.0

    bogus = [{"attributes": {"type": "Account"}, "id": "001000000000000AAA", "Name": "x"}]
    assert sf.restful("composite/sobjects", method="PATCH", json={"records": bogus})[0]["errors"][0]["statusCode"] in (
        "INVALID_CROSS_REFERENCE_KEY",
        "NOT_FOUND",
    )
    too_many = [records[0]] * 201
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.restful("composite/sobjects", method="PATCH", json={"records": too_many})
    assert _error(refused)["errorCode"] == "EXCEEDED_ID_LIMIT" and "200" in _error(refused)["message"]
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": f"{ids[0]},{ids[1]}"})
    assert [r["success"] for r in deleted] == [True, False]


# ---- Tooling API custom fields ----------------------------------------------------------------


def test_custom_fields_appear_in_describe_are_writable_and_validated(sf):
    created = sf.toolingexecute("sobjects/CustomField", method="POST", data=SCORE_FIELD)
    assert created["success"] is True and created["id"].startswith("00N")
    tier_id = sf.toolingexecute("sobjects/CustomField", method="POST", data=TIER_FIELD)["id"]
    for full_name, metadata in (
        ("Account.Health_Scored_At__c", {"label": "Scored At", "type": "DateTime"}),
        ("Account.Health_Story__c", {"label": "Story", "type": "LongTextArea", "length": 32768, "visibleLines": 5}),
        ("Activity.Healthloop_Key__c", {"label": "Key", "type": "Text", "length": 80, "externalId": True}),
    ):
        sf.toolingexecute("sobjects/CustomField", method="POST", data={"FullName": full_name, "Metadata": metadata})
    fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    score, tier = fields["Health_Score__c"], fields["Health_Tier__c"]
    assert (score["type"], score["precision"], score["scale"], score["custom"]) == ("double", 3, 0, True)
    assert tier["type"] == "picklist" and tier["restrictedPicklist"] is True
    assert [(v["value"], v["label"]) for v in tier["picklistValues"]] == [
        ("healthy", "Healthy"),
        ("at_risk", "At risk"),
    ]
    assert fields["Health_Scored_At__c"]["type"] == "datetime"
    assert (fields["Health_Story__c"]["type"], fields["Health_Story__c"]["length"]) == ("textarea", 32768)
    assert "Healthloop_Key__c" in {f["name"] for f in sf.Task.describe()["fields"]}  # Activity fields land on Task

    account = sf.Account.create({"Name": "Acme", "Health_Score__c": 72, "Health_Tier__c": "healthy"})["id"]
    sf.Account.update(account, {"Health_Scored_At__c": "2026-11-30T12:00:00Z"})
    stored = sf.Account.get(account)
    assert (stored["Health_Score__c"], stored["Health_Scored_At__c"]) == (72.0, "2026-11-30T12:00:00.000+0000")
    assert sf.query("SELECT Id FROM Account WHERE Health_Scored_At__c < 2026-12-01T00:00:00Z")["totalSize"] == 1
    with pytest.raises(SalesforceMalformedRequest) as restricted:
        sf.Account.update(account, {"Health_Tier__c": "critical"})
    assert _error(restricted)["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    with pytest.raises(SalesforceMalformedRequest) as too_big:
        sf.Account.update(account, {"Health_Score__c": 1000})
    assert _error(too_big)["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"

    metadata = TIER_FIELD["Metadata"]
    values = [*metadata["valueSet"]["valueSetDefinition"]["value"], {"fullName": "critical", "label": "Critical"}]
    wider = metadata | {"valueSet": {"restricted": True, "valueSetDefinition": {"sorted": False, "value": values}}}
    sf.toolingexecute(f"sobjects/CustomField/{tier_id}", method="PATCH", data={"Metadata": wider})
    assert sf.Account.update(account, {"Health_Tier__c": "critical"}) == 204

    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.toolingexecute("sobjects/CustomField", method="POST", data=SCORE_FIELD)
    assert _error(duplicate)["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    with pytest.raises(SalesforceMalformedRequest):
        sf.toolingexecute("sobjects/CustomField", method="POST", data={"FullName": "Task.X__c", "Metadata": {}})
    found = sf.toolingexecute(
        "query/?q=" + format_soql("SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = {}", "Account")
    )
    assert {r["DeveloperName"] for r in found["records"]} == {"Health_Score", "Health_Tier", "Health_Scored_At"} | {
        "Health_Story"
    }


# ---- cadences ---------------------------------------------------------------------------------


def _assign(sf: Salesforce, cadence: str, target: str) -> list[dict]:
    inputs = [
        {
            "salesCadenceNameOrId": cadence,
            "targetId": target,
            "userId": sf.query("SELECT Id FROM User")["records"][1]["Id"],
        }
    ]
    return sf.restful("actions/standard/assignTargetToSalesCadence", method="POST", json={"inputs": inputs})


def test_cadence_assignment_creates_a_running_tracker(sandbox, sf):
    ids = sandbox.seed_salesforce(
        {
            "accounts": [{"Name": "Acme"}],
            "contacts": [{"LastName": "Lima", "AccountIndex": 0}],
            "cadences": [{"Name": "Win-back"}],
        }
    )
    contact = ids["contacts"][0]
    result = _assign(sf, "Win-back", contact)
    assert result == [
        {"actionName": "assignTargetToSalesCadence", "errors": None, "isSuccess": True, "outputValues": None}
    ]
    trackers = sf.query(
        format_soql(
            "SELECT ActionCadenceId, State, CompletionReason FROM ActionCadenceTracker WHERE TargetId = {}", contact
        )
    )
    assert [(t["ActionCadenceId"], t["State"]) for t in trackers["records"]] == [(ids["cadences"][0], "Running")]

    for cadence, target in (("No such cadence", contact), ("Win-back", contact), ("Win-back", ids["accounts"][0])):
        with pytest.raises(SalesforceMalformedRequest) as failed:
            _assign(sf, cadence, target)
        assert failed.value.content[0]["isSuccess"] is False and failed.value.content[0]["errors"][0]["message"]

    tracker = sf.query("SELECT Id FROM ActionCadenceTracker")["records"][0]["Id"]
    finished = _control(sandbox, "POST", f"cadence_trackers/{tracker}/finish", {"disposition": "Customer Engaged"})
    assert finished.json()["State"] == "Complete"
    done = sf.query("SELECT CompletionReason, CompletionDisposition FROM ActionCadenceTracker")["records"][0]
    assert (done["CompletionReason"], done["CompletionDisposition"]) == ("NoMoreSteps", "Customer Engaged")

    sandbox.configure_salesforce(sales_engagement=False)
    with pytest.raises(SalesforceResourceNotFound) as disabled:
        _assign(sf, "Win-back", contact)
    assert _error(disabled) == {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    with pytest.raises(SalesforceMalformedRequest) as no_object:
        sf.query("SELECT Id FROM ActionCadenceTracker")
    assert _error(no_object)["errorCode"] == "INVALID_TYPE"


# ---- limits, faults, control API --------------------------------------------------------------


def test_api_usage_header_limits_and_request_limit_exceeded(sandbox, sf):
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 1 and sf.api_usage["api-usage"].total == 15000
    assert sf.limits()["DailyApiRequests"] == {"Max": 15000, "Remaining": 14998}
    sandbox.configure_salesforce(daily_limit=3)
    sf.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Account")
    assert _error(refused) == {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    versions = trusted_session(sandbox).get(f"{sandbox.salesforce_url}/services/data/")
    assert versions.status_code == 200 and {"version": "59.0"}.items() <= versions.json()[28].items()


def test_injected_faults_are_salesforce_shaped(sandbox, sf):
    sandbox.set_faults(burst=1)
    with pytest.raises(SalesforceGeneralError) as unavailable:
        sf.query("SELECT Id FROM Account")
    assert unavailable.value.status == 503 and _error(unavailable)["errorCode"] == "SERVER_UNAVAILABLE"
    sandbox.set_faults(error_rate=1.0)
    with pytest.raises(SalesforceGeneralError) as failed:
        sf.Account.create({"Name": "Lost"})
    assert failed.value.status >= 500
    sandbox.set_faults(error_rate=0.0)
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 0


def test_control_api_seeds_dumps_configures_and_needs_the_sandbox_token(sandbox, sf):
    seeded = _control(
        sandbox,
        "POST",
        "seed",
        {
            "custom_fields": [SCORE_FIELD],
            "users": [{"FirstName": "Dan", "LastName": "Vp", "Email": "dan@example.com"}],
            "accounts": [{"Name": "Acme", "Website": "acme.com", "Health_Score__c": 55, "OwnerIndex": 0}],
            "contacts": [{"LastName": "Lima", "Email": "ana@acme.com", "AccountIndex": 0}],
            "opportunities": [
                {"Name": "Renewal", "StageName": "Prospecting", "CloseDate": "2026-11-30", "AccountIndex": 0}
            ],
            "cadences": [{"Name": "Win-back"}],
        },
    )
    assert seeded.status_code == 201, seeded.text
    ids = seeded.json()
    assert sf.Account.get(ids["accounts"][0])["OwnerId"] == ids["users"][0]
    accounts = _control(sandbox, "GET", "state?object=Account").json()["Account"]
    assert [(a["Name"], a["Health_Score__c"]) for a in accounts] == [("Acme", 55.0)]
    assert {"objects", "customFields", "settings"} <= set(_control(sandbox, "GET", "state").json())
    assert _control(sandbox, "POST", "settings", {"page_size": 5}).json()["page_size"] == 5
    assert _control(sandbox, "POST", "expire_sessions").status_code == 200
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")
    refused = requests.get(f"{sandbox.url}/_sandbox/salesforce/state", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    counts = sandbox.request_counts()["by_route"]
    assert counts["GET /services/data/{v}/sobjects/Account/{record_id}"] == 1
    assert not any(route.startswith(("GET /_sandbox", "POST /_sandbox")) for route in counts)
    sandbox.reset()
    assert client_for(sandbox).query("SELECT Id FROM Account")["totalSize"] == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli_serves_hubspot_over_http_and_salesforce_over_https(tmp_path):
    # Ports 0: the server picks free ones and prints them (no race with a parallel test's ports).
    command = [sys.executable, "-c", "from connector.cli.main import cli; cli()", "sandbox", "--port", "0"]
    command += ["--tls-port", "0", "--tls-dir", str(tmp_path)]
    process = subprocess.Popen(
        command, cwd=REPO, env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        urls: dict[str, str] = {}
        for line in process.stdout:
            lines.append(line)
            found = re.match(r"(HubSpot|Salesforce) sandbox listening on (\S+)", line)
            if found:
                urls[found.group(1)] = found.group(2)
            if line.startswith("Inspect it with"):  # the banner's last line, then it serves
                break
        else:
            raise AssertionError("the sandbox did not come up:\n" + "".join(lines))
        hubspot_url, salesforce_url = urls["HubSpot"], urls["Salesforce"]
        session = requests.Session()
        session.verify, session.trust_env = str(tmp_path / "ca.pem"), False
        token = session.post(f"{salesforce_url}/services/oauth2/token", data=PASSWORD_GRANT, timeout=10)
        assert token.status_code == 200 and token.json()["instance_url"] == salesforce_url
        sf = Salesforce(instance_url=salesforce_url, session_id=token.json()["access_token"], session=session)
        assert sf.query("SELECT Id FROM User")["totalSize"] == 3
        owners = requests.get(
            f"{hubspot_url}/crm/v3/owners", headers={"Authorization": "Bearer sandbox-token"}, timeout=10
        )
        assert owners.status_code == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    output = "".join(lines) + output
    assert f"SALESFORCE_INSTANCE_URL={salesforce_url}" in output
    assert f"REQUESTS_CA_BUNDLE={tmp_path / 'ca-bundle.pem'}" in output
    assert f"HUBSPOT_BASE_URL={hubspot_url}" in output
