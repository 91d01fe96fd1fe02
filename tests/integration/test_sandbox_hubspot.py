"""The official hubspot-api-client (client-side validation on) against the local sandbox over real HTTP."""

from __future__ import annotations

import importlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import hubspot
import pytest
import requests
from click.testing import CliRunner
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.companies.exceptions import NotFoundException, ServiceException, UnauthorizedException
from hubspot.crm.objects import tasks as task_models
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyUpdate,
)

from connector.cli.main import cli
from crm_adapters.sandbox import SandboxServer

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
# Every generated sub-package of the client has its own ApiException class.
_PACKAGES = (
    "crm.companies",
    "crm.contacts",
    "crm.deals",
    "crm.properties",
    "crm.objects.tasks",
    "crm.owners",
    "crm.associations.v4",
)
ApiException = tuple(importlib.import_module(f"hubspot.{name}.exceptions").ApiException for name in _PACKAGES)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def hs(sandbox: SandboxServer) -> hubspot.HubSpot:
    # `host` reaches every typed sub-API's Configuration; `api_request()` reads `base_url` instead.
    return hubspot.HubSpot(access_token=sandbox.token, host=sandbox.url, base_url=sandbox.url)


def _control(sandbox: SandboxServer, method: str, path: str, body: object = None) -> requests.Response:
    return requests.request(
        method, f"{sandbox.url}/_sandbox/{path}", json=body, headers={"Authorization": f"Bearer {sandbox.token}"}
    )


def _body(exc: BaseException) -> dict:
    return json.loads(exc.body)


def _new_company(hs: hubspot.HubSpot, **properties: str) -> str:
    return hs.crm.companies.basic_api.create(SimplePublicObjectInputForCreate(properties=properties)).id


def _health_group_and_properties(hs: hubspot.HubSpot, object_type: str = "companies") -> None:
    hs.crm.properties.groups_api.create(object_type, PropertyGroupCreate(name="healthloop", label="healthloop"))
    for definition in (
        PropertyCreate(name="hl_score", label="Score", type="number", field_type="number", group_name="healthloop"),
        PropertyCreate(
            name="hl_tier",
            label="Tier",
            type="enumeration",
            field_type="select",
            group_name="healthloop",
            options=[
                OptionInput(label="Healthy", value="healthy", hidden=False, display_order=1),
                OptionInput(label="At risk", value="at_risk", hidden=False, display_order=2),
            ],
        ),
        PropertyCreate(name="hl_scored_at", label="At", type="datetime", field_type="date", group_name="healthloop"),
        PropertyCreate(
            name="hl_key", label="Key", type="string", field_type="text", group_name="healthloop", has_unique_value=True
        ),
    ):
        hs.crm.properties.core_api.create(object_type, definition)


# ---- properties -----------------------------------------------------------------------------


def test_property_groups_and_custom_properties_are_created_read_and_patched(hs):
    group = hs.crm.properties.groups_api.create("companies", PropertyGroupCreate(name="healthloop", label="HL"))
    assert type(group).__name__ == "PropertyGroup" and group.name == "healthloop"
    assert "healthloop" in [g.name for g in hs.crm.properties.groups_api.get_all("companies").results]
    assert hs.crm.properties.groups_api.get_by_name("companies", "healthloop").label == "HL"

    _health_group_and_properties(hs, "tasks")  # custom properties work on tasks (and notes) too
    created = hs.crm.properties.core_api.create(
        "companies",
        PropertyCreate(name="hl_score", label="Score", type="number", field_type="number", group_name="healthloop"),
    )
    assert type(created).__name__ == "ModelProperty"
    assert created.modification_metadata.read_only_value is False

    with pytest.raises(ApiException) as duplicate:
        hs.crm.properties.core_api.create(
            "companies",
            PropertyCreate(name="hl_score", label="Again", type="number", field_type="number", group_name="healthloop"),
        )
    assert duplicate.value.status == 409 and _body(duplicate.value)["category"] == "OBJECT_ALREADY_EXISTS"
    with pytest.raises(ApiException) as no_group:
        hs.crm.properties.core_api.create(
            "companies", PropertyCreate(name="hl_x", label="X", type="string", field_type="text", group_name="nope")
        )
    assert no_group.value.status == 400 and "nope" in _body(no_group.value)["message"]
    with pytest.raises(ApiException) as no_options:
        hs.crm.properties.core_api.create(
            "companies",
            PropertyCreate(name="hl_e", label="E", type="enumeration", field_type="select", group_name="healthloop"),
        )
    assert no_options.value.status == 400 and "option" in _body(no_options.value)["message"]

    tier = hs.crm.properties.core_api.update(
        "tasks", "hl_tier", PropertyUpdate(options=[OptionInput(label="Churning", value="churning", hidden=False)])
    )
    assert [o.value for o in tier.options] == ["churning"]
    batch = hs.crm.properties.batch_api.create(
        "notes",
        BatchInputPropertyCreate(
            inputs=[
                PropertyCreate(name="hl_n", label="N", type="string", field_type="text", group_name="noteinformation")
            ]
        ),
    )
    assert type(batch).__name__ == "BatchResponseProperty" and batch.results[0].name == "hl_n"

    status = hs.crm.properties.core_api.get_by_name("tasks", "hs_task_status")
    assert [o.value for o in status.options] == ["NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"]
    object_id = hs.crm.properties.core_api.get_by_name("companies", "hs_object_id")
    assert object_id.modification_metadata.read_only_value is True
    assert object_id.modification_metadata.archivable is False
    names = {p.name for p in hs.crm.properties.core_api.get_all("deals").results}
    assert {"dealname", "amount", "closedate", "pipeline", "dealstage", "hs_is_closed_won"} <= names
    with pytest.raises(ApiException) as missing:
        hs.crm.properties.core_api.get_by_name("companies", "missing_property")
    assert type(missing.value).__name__ == "NotFoundException"


def test_property_definitions_are_validated_like_hubspot(sandbox):
    def create(body: dict) -> requests.Response:
        return requests.post(
            f"{sandbox.url}/crm/v3/properties/companies",
            json=body,
            headers={"Authorization": f"Bearer {sandbox.token}"},
        )

    base = {"name": "hl_p", "label": "P", "groupName": "companyinformation"}
    assert create(base | {"type": "colour", "fieldType": "text"}).status_code == 400
    assert create(base | {"type": "number", "fieldType": "wheel"}).status_code == 400
    assert create(base | {"type": "number", "fieldType": "textarea"}).status_code == 400
    assert "hs_" in create(base | {"name": "hs_mine", "type": "string", "fieldType": "text"}).json()["message"]
    assert create(base | {"type": "phone_number", "fieldType": "phonenumber"}).status_code == 201


# ---- objects --------------------------------------------------------------------------------


def test_company_create_read_update_archive_and_page(hs):
    api = hs.crm.companies.basic_api
    created = api.create(SimplePublicObjectInputForCreate(properties={"name": "Acme", "domain": "acme.com"}))
    assert type(created).__name__ == "SimplePublicObject"
    assert created.properties["hs_object_id"] == created.id and created.archived is False

    updated = api.update(created.id, SimplePublicObjectInput(properties={"industry": "Software"}))
    assert updated.properties["industry"] == "Software"
    fetched = api.get_by_id(created.id, properties=["name", "industry"], properties_with_history=["industry"])
    assert fetched.properties["name"] == "Acme" and fetched.properties["industry"] == "Software"
    assert fetched.properties_with_history["industry"][0].value == "Software"

    for index in range(4):
        _new_company(hs, name=f"Co {index}")
    first = api.get_page(limit=3, properties=["name"])
    assert len(first.results) == 3 and first.paging.next.after
    rest = api.get_page(limit=3, after=first.paging.next.after)
    assert len(rest.results) == 2 and rest.paging is None

    api.archive(created.id)
    with pytest.raises(NotFoundException) as gone:
        api.get_by_id(created.id)
    assert _body(gone.value)["category"] == "OBJECT_NOT_FOUND"


def test_property_values_are_validated_and_normalized(hs):
    _health_group_and_properties(hs)
    api = hs.crm.companies.basic_api
    company = _new_company(hs, name="Acme")

    def refused(properties: dict[str, str]) -> dict:
        with pytest.raises(ApiException) as raised:
            api.update(company, SimplePublicObjectInput(properties=properties))
        assert raised.value.status == 400
        return _body(raised.value)

    assert "PROPERTY_DOESNT_EXIST" in refused({"hl_nope": "1"})["message"]
    assert "hl_nope" in refused({"hl_nope": "1"})["message"]
    assert "INVALID_OPTION" in refused({"hl_tier": "Healthy"})["message"], "the label is not the value"
    assert refused({"hl_score": "high"})["category"] == "VALIDATION_ERROR"
    assert "READ_ONLY_VALUE" in refused({"hs_object_id": "5"})["message"]
    assert refused({"hl_scored_at": "yesterday"})["errors"][0]["in"] == "hl_scored_at"

    written = api.update(
        company, SimplePublicObjectInput(properties={"hl_score": "55", "hl_tier": "at_risk", "hl_scored_at": "0"})
    )
    assert written.properties == written.properties | {"hl_score": "55", "hl_tier": "at_risk"}
    assert written.properties["hl_scored_at"] == "1970-01-01T00:00:00.000Z", "epoch ms is stored as ISO"

    deal = hs.crm.deals.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"dealname": "Renewal", "closedate": "2027-02-01T00:00:00Z"})
    )
    assert deal.properties["closedate"] == "2027-02-01T00:00:00.000Z"
    with pytest.raises(ApiException) as bad_stage:
        hs.crm.deals.basic_api.update(deal.id, SimplePublicObjectInput(properties={"dealstage": "nowhere"}))
    assert "INVALID_OPTION" in _body(bad_stage.value)["message"]
    won = hs.crm.deals.basic_api.update(deal.id, SimplePublicObjectInput(properties={"dealstage": "closedwon"}))
    read = hs.crm.deals.basic_api.get_by_id(won.id, properties=["hs_is_closed", "hs_is_closed_won", "pipeline"])
    assert (
        read.properties | {"hs_is_closed": "true", "hs_is_closed_won": "true", "pipeline": "default"} == read.properties
    )


def test_date_properties_take_midnight_utc_only(sandbox, hs):
    hs.crm.properties.core_api.create(
        "companies",
        PropertyCreate(name="hl_renewal", label="R", type="date", field_type="date", group_name="companyinformation"),
    )
    company = _new_company(hs, name="Acme")
    api = hs.crm.companies.basic_api
    stored = api.update(company, SimplePublicObjectInput(properties={"hl_renewal": "1801008000000"}))
    assert stored.properties["hl_renewal"] == "2027-01-27"
    with pytest.raises(ApiException) as noon:
        api.update(company, SimplePublicObjectInput(properties={"hl_renewal": "2027-01-27T12:00:00Z"}))
    assert "midnight UTC" in _body(noon.value)["message"]


def test_batch_update_reports_missing_ids_with_207_and_applies_the_rest(hs, sandbox):
    ids = [_new_company(hs, name=f"Co {index}") for index in range(3)]
    hs.crm.companies.basic_api.archive(ids[2])
    response = hs.crm.companies.batch_api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[SimplePublicObjectBatchInput(id=key, properties={"industry": "Retail"}) for key in [*ids, "424242"]]
        )
    )
    assert type(response).__name__ == "BatchResponseSimplePublicObjectWithErrors"
    assert response.status == "COMPLETE" and response.num_errors == 1
    assert response.errors[0].category == "OBJECT_NOT_FOUND"
    assert sorted(response.errors[0].context["ids"]) == sorted([ids[2], "424242"])
    assert [r.properties["industry"] for r in response.results] == ["Retail", "Retail"]

    all_found = hs.crm.companies.batch_api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[SimplePublicObjectBatchInput(id=ids[0], properties={"industry": "Media"})]
        )
    )
    assert type(all_found).__name__ == "BatchResponseSimplePublicObject"

    read = hs.crm.companies.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=ids[0]), SimplePublicObjectId(id="1")],
            properties=["industry"],
            properties_with_history=[],
        )
    )
    assert type(read).__name__ == "BatchResponseSimplePublicObjectWithErrors"
    assert read.results[0].properties["industry"] == "Media" and read.errors[0].context == {"ids": ["1"]}

    history = sandbox.state.records["companies"][ids[0]].history["industry"]
    assert [value for value, _ in history] == ["Retail", "Media"], "every write is recorded"


def test_batches_over_one_hundred_inputs_are_refused(hs):
    inputs = [SimplePublicObjectBatchInputForCreate(properties={"name": f"Co {i}"}) for i in range(101)]
    with pytest.raises(ApiException) as raised:
        hs.crm.companies.batch_api.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    assert raised.value.status == 400
    assert _body(raised.value)["category"] == "VALIDATION_ERROR" and "100" in _body(raised.value)["message"]
    created = hs.crm.companies.batch_api.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs[:100]))
    assert type(created).__name__ == "BatchResponseSimplePublicObject" and len(created.results) == 100


def test_a_bad_input_fails_the_whole_batch_before_anything_is_written(hs, sandbox):
    inputs = [
        SimplePublicObjectBatchInputForCreate(properties={"name": "Good"}),
        SimplePublicObjectBatchInputForCreate(properties={"name": "Bad", "no_such_property": "x"}),
    ]
    with pytest.raises(ApiException) as raised:
        hs.crm.companies.batch_api.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    assert _body(raised.value)["context"]["inputIndex"] == ["1"]
    assert sandbox.state.live_records("companies") == []


def test_unique_property_upsert_creates_then_updates_and_serves_id_property_lookups(hs):
    _health_group_and_properties(hs)

    def upsert(score: str) -> object:
        return hs.crm.companies.batch_api.upsert(
            BatchInputSimplePublicObjectBatchInputUpsert(
                inputs=[
                    SimplePublicObjectBatchInputUpsert(
                        id_property="hl_key", id="acct_1", properties={"hl_score": score}
                    )
                ]
            )
        )

    first = upsert("40")
    assert type(first).__name__ == "BatchResponseSimplePublicUpsertObject"
    assert first.results[0].new is True and first.results[0].properties["hl_key"] == "acct_1"
    second = upsert("75")
    assert second.results[0].new is False and second.results[0].id == first.results[0].id
    found = hs.crm.companies.basic_api.get_by_id("acct_1", id_property="hl_key", properties=["hl_score"])
    assert found.properties["hl_score"] == "75"

    with pytest.raises(ApiException) as taken:
        hs.crm.companies.basic_api.create(SimplePublicObjectInputForCreate(properties={"hl_key": "acct_1"}))
    assert taken.value.status == 409
    with pytest.raises(ApiException) as not_unique:
        hs.crm.companies.basic_api.get_by_id("Acme", id_property="name")
    assert not_unique.value.status == 400 and "unique" in _body(not_unique.value)["message"]


def test_search_filters_sorts_pages_and_enforces_limits(hs, sandbox):
    sandbox.set_rate_limit(search_per_second=None)
    _health_group_and_properties(hs)
    for index, (name, score) in enumerate([("Acme Corp", "80"), ("Beta", "55"), ("Gamma", "20"), ("Delta", "")]):
        properties = {"name": name, "domain": f"d{index}.com"} | ({"hl_score": score} if score else {})
        _new_company(hs, **properties)
    search = hs.crm.companies.search_api.do_search

    def names(*groups: list[Filter], **extra: object) -> list[str]:
        request = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=list(g)) for g in groups], properties=["name"], **extra
        )
        response = search(request)
        assert type(response).__name__ == "CollectionResponseWithTotalSimplePublicObjectForwardPaging"
        return [r.properties["name"] for r in response.results]

    assert names([Filter(property_name="domain", operator="EQ", value="D1.com")]) == ["Beta"]
    assert names([Filter(property_name="hl_score", operator="LT", value="60")], sorts=["hl_score"]) == ["Gamma", "Beta"]
    assert names([Filter(property_name="hl_score", operator="BETWEEN", value="50", high_value="90")]) == [
        "Acme Corp",
        "Beta",
    ]
    assert names([Filter(property_name="hl_score", operator="NOT_HAS_PROPERTY")]) == ["Delta"]
    assert names([Filter(property_name="name", operator="CONTAINS_TOKEN", value="acme")]) == ["Acme Corp"]
    assert names(
        [Filter(property_name="name", operator="IN", values=["beta", "gamma"])],
        [Filter(property_name="hl_score", operator="GTE", value="80")],
        sorts=["-hl_score"],
    ) == ["Acme Corp", "Beta", "Gamma"]

    page = search(PublicObjectSearchRequest(limit=3, sorts=["name"]))
    assert page.total == 4 and page.paging.next.after == "3"
    assert [r.properties["name"] for r in search(PublicObjectSearchRequest(limit=3, after="3")).results] == ["Delta"]

    raw = requests.post(
        f"{sandbox.url}/crm/v3/objects/companies/search",
        json={"sorts": [{"propertyName": "name", "direction": "DESCENDING"}], "limit": 1},
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    assert raw.json()["results"][0]["properties"]["name"] == "Gamma"
    with pytest.raises(ApiException) as too_many:
        search(PublicObjectSearchRequest(limit=201))
    assert too_many.value.status == 400 and "200" in _body(too_many.value)["message"]
    six_groups = [FilterGroup(filters=[Filter(property_name="name", operator="HAS_PROPERTY")]) for _ in range(6)]
    with pytest.raises(ApiException) as groups:
        search(PublicObjectSearchRequest(filter_groups=six_groups))
    assert groups.value.status == 400 and _body(groups.value)["category"] == "VALIDATION_ERROR"
    seven = FilterGroup(filters=[Filter(property_name="name", operator="HAS_PROPERTY") for _ in range(7)])
    with pytest.raises(ApiException):
        search(PublicObjectSearchRequest(filter_groups=[seven]))


# ---- tasks, notes, associations -------------------------------------------------------------


def _task_input(company_id: str, **properties: str) -> task_models.SimplePublicObjectInputForCreate:
    spec = task_models.AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=192)
    return task_models.SimplePublicObjectInputForCreate(
        properties={"hs_timestamp": "2025-06-01T15:00:00Z", "hs_task_subject": "Re-engage", **properties},
        associations=[
            task_models.PublicAssociationsForObject(to=task_models.PublicObjectId(id=company_id), types=[spec])
        ],
    )


def test_tasks_and_notes_are_created_with_associations_and_read_back(hs, sandbox):
    company = _new_company(hs, name="Acme")
    owner_id = hs.crm.owners.owners_api.get_page().results[0].id
    task = hs.crm.objects.tasks.basic_api.create(
        _task_input(company, hs_task_status="NOT_STARTED", hs_task_priority="HIGH", hubspot_owner_id=owner_id)
    )
    assert task.properties["hs_timestamp"] == "2025-06-01T15:00:00.000Z"

    with pytest.raises(ApiException) as missing_due:
        hs.crm.objects.tasks.basic_api.create(
            task_models.SimplePublicObjectInputForCreate(properties={"hs_task_subject": "no due date"})
        )
    assert "hs_timestamp" in _body(missing_due.value)["message"]
    with pytest.raises(ApiException) as user_not_owner:
        hs.crm.objects.tasks.basic_api.create(_task_input(company, hubspot_owner_id="9000001"))
    assert "INVALID_OPTION" in _body(user_not_owner.value)["message"], "hubspot_owner_id takes the owner id"

    batch = hs.crm.objects.tasks.batch_api.update(
        task_models.BatchInputSimplePublicObjectBatchInput(
            inputs=[task_models.SimplePublicObjectBatchInput(id=task.id, properties={"hs_task_status": "COMPLETED"})]
        )
    )
    assert batch.results[0].properties["hs_task_status"] == "COMPLETED"
    read = hs.crm.objects.tasks.batch_api.read(
        task_models.BatchReadInputSimplePublicObjectId(
            inputs=[task_models.SimplePublicObjectId(id=task.id)],
            properties=["hs_task_status", "hs_task_completion_date"],
            properties_with_history=[],
        )
    )
    assert read.results[0].properties["hs_task_completion_date"], "completing a task stamps its completion date"

    with_links = hs.crm.objects.tasks.basic_api.get_by_id(task.id, associations=["companies"])
    assert with_links.associations["companies"].results[0].id == company
    assert with_links.associations["companies"].results[0].type == "task_to_company"

    note_spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 190}
    note = hs.crm.objects.notes.basic_api.create(
        {
            "properties": {"hs_note_body": "Score fell to 55", "hs_timestamp": "1717000000000"},
            "associations": [{"to": {"id": company}, "types": [note_spec]}],
        }
    )
    assert type(note).__name__ == "SimplePublicObject"
    assert hs.crm.objects.notes.basic_api.get_by_id(note.id, properties=["hs_note_body"]).properties["hs_note_body"]
    links = hs.crm.associations.v4.basic_api.get_page("companies", company, "notes")
    assert [link.to_object_id for link in links.results] == [note.id]
    assert links.results[0].association_types[0].type_id == 189, "the inverse type id is stored too"


def test_associations_v4_default_batch_create_read_list_and_labels(hs, sandbox):
    company = _new_company(hs, name="Acme")
    contacts = [
        hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": f"c{i}@acme.com"})).id
        for i in range(2)
    ]
    default = hs.crm.associations.v4.basic_api.create_default("contacts", contacts[0], "companies", company)
    assert type(default).__name__ == "BatchResponsePublicDefaultAssociation"
    assert default.results[0].association_spec.association_type_id == 279

    created = hs.crm.associations.v4.batch_api.create(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=contacts[1]),
                    to=PublicObjectId(id=company),
                    types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)],
                )
            ]
        ),
    )
    assert type(created).__name__ == "BatchResponseLabelsBetweenObjectPair"
    assert created.results[0].labels == ["Primary"]

    read = hs.crm.associations.v4.batch_api.get_page(
        "companies",
        "contacts",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[PublicFetchAssociationsBatchRequest(id=company)]),
    )
    assert type(read).__name__ == "BatchResponsePublicAssociationMultiWithLabel"
    assert sorted(link.to_object_id for link in read.results[0].to) == sorted(contacts)
    page = hs.crm.associations.v4.basic_api.get_page("contacts", contacts[1], "companies")
    assert {t.type_id for t in page.results[0].association_types} == {1}

    labels = hs.crm.associations.v4.schema.definitions_api.get_all("tasks", "companies")
    assert [(label.category, label.type_id) for label in labels.results] == [("HUBSPOT_DEFINED", 192)]
    spec_spelling = requests.get(
        f"{sandbox.url}/crm/associations/v4/deals/companies/labels",
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    assert {label["typeId"] for label in spec_spelling.json()["results"]} == {5, 341}

    with pytest.raises(ApiException) as wrong_type:
        hs.crm.associations.v4.batch_api.create(
            "tasks",
            "companies",
            BatchInputPublicAssociationMultiPost(
                inputs=[
                    PublicAssociationMultiPost(
                        _from=PublicObjectId(id=company),
                        to=PublicObjectId(id=company),
                        types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=204)],
                    )
                ]
            ),
        )
    assert wrong_type.value.status == 400


# ---- owners, pipelines, sequences, OAuth ----------------------------------------------------


def test_owners_and_deal_pipelines(hs):
    owners = hs.crm.owners.owners_api.get_page()
    assert type(owners).__name__ == "CollectionResponsePublicOwnerForwardPaging" and len(owners.results) == 3
    ana = hs.crm.owners.owners_api.get_page(email="ana.csm@example.com").results
    assert len(ana) == 1 and ana[0].type == "PERSON"
    by_id = hs.crm.owners.owners_api.get_by_id(ana[0].id)
    assert type(by_id).__name__ == "PublicOwner" and by_id.user_id == ana[0].user_id
    assert hs.crm.owners.owners_api.get_by_id(str(ana[0].user_id), id_property="userId").id == ana[0].id
    first = hs.crm.owners.owners_api.get_page(limit=2)
    assert len(first.results) == 2 and first.paging.next.after

    pipelines = hs.crm.pipelines.pipelines_api.get_all("deals")
    default = next(p for p in pipelines.results if p.id == "default")
    stages = {stage.id: stage.metadata for stage in default.stages}
    assert stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
    assert stages["closedlost"]["isClosed"] == "true" and stages["qualifiedtobuy"]["isClosed"] == "false"


def test_sequence_enrollment_through_api_request(hs, sandbox):
    owner = next(iter(sandbox.state.owners.values()))
    contact = hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": "ana@acme.com"}))

    def call(method: str, path: str, qs: dict | None = None, body: dict | None = None) -> requests.Response:
        options: dict = {"method": method, "path": path, "qs": qs or {}}
        if body is not None:
            options["body"] = body
        return hs.api_request(options)

    user = {"userId": str(owner["userId"])}
    listed = call("GET", "/automation/v4/sequences", user).json()
    sequence = listed["results"][0]
    assert listed["total"] == 3 and sequence["name"]
    assert call("GET", f"/automation/v4/sequences/{sequence['id']}", user).json()["id"] == sequence["id"]
    assert call("GET", "/automation/v4/sequences").status_code == 400, "userId is required"

    body = {"contactId": contact.id, "sequenceId": sequence["id"], "senderEmail": owner["email"]}
    assert call("POST", "/automation/v4/sequences/enrollments", user, body | {"sequenceId": "1"}).status_code == 404
    wrong_inbox = call("POST", "/automation/v4/sequences/enrollments", user, body | {"senderEmail": "x@acme.com"})
    assert wrong_inbox.status_code == 400 and "inbox" in wrong_inbox.json()["message"]
    assert call("POST", "/automation/v4/sequences/enrollments", user, body | {"contactId": "77"}).status_code == 404
    enrolled = call("POST", "/automation/v4/sequences/enrollments", user, body)
    assert enrolled.status_code == 200 and set(enrolled.json()) == {"id", "toEmail", "enrolledAt", "updatedAt"}
    assert enrolled.json()["toEmail"] == "ana@acme.com"
    again = call("POST", "/automation/v4/sequences/enrollments", user, body)
    assert again.status_code == 400 and "already enrolled" in again.json()["message"]
    state = call("GET", f"/automation/v4/sequences/enrollments/contact/{contact.id}").json()
    assert state["sequenceId"] == sequence["id"] and state["id"] == enrolled.json()["id"]


def test_oauth_refresh_issues_tokens_that_expire(sandbox):
    anonymous = hubspot.HubSpot(host=sandbox.url)
    token = anonymous.oauth.tokens_api.create(
        grant_type="refresh_token",
        client_id="sandbox-client-id",
        client_secret="sandbox-client-secret",
        refresh_token="sandbox-refresh-token",
    )
    assert type(token).__name__ == "TokenResponseIF" and token.expires_in == 1800
    oauth_client = hubspot.HubSpot(access_token=token.access_token, host=sandbox.url)
    assert oauth_client.crm.owners.owners_api.get_page().results

    from hubspot.oauth.exceptions import ApiException as OAuthApiException

    with pytest.raises(OAuthApiException) as bad:
        anonymous.oauth.tokens_api.create(
            grant_type="refresh_token",
            client_id="sandbox-client-id",
            client_secret="sandbox-client-secret",
            refresh_token="stolen",
        )
    assert bad.value.status == 400 and json.loads(bad.value.body)["status"] == "BAD_REFRESH_TOKEN"

    sandbox.set_token_ttl(0)
    short = anonymous.oauth.tokens_api.create(
        grant_type="refresh_token",
        client_id="sandbox-client-id",
        client_secret="sandbox-client-secret",
        refresh_token="sandbox-refresh-token",
    )
    assert short.expires_in == 0
    with pytest.raises(UnauthorizedException) as expired:
        hubspot.HubSpot(access_token=short.access_token, host=sandbox.url).crm.companies.basic_api.get_page()
    assert _body(expired.value)["category"] == "EXPIRED_AUTHENTICATION"


def test_a_wrong_token_gets_a_hubspot_shaped_401(sandbox):
    client = hubspot.HubSpot(access_token="wrong", host=sandbox.url)
    with pytest.raises(UnauthorizedException) as raised:
        client.crm.companies.basic_api.get_page()
    body = _body(raised.value)
    assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found") and body["correlationId"]
    assert _control(sandbox, "GET", "requests").status_code == 200
    assert requests.get(f"{sandbox.url}/_sandbox/state").status_code == 401, "the control API needs the token too"


# ---- limits, faults, log --------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after_and_headers(sandbox, hs):
    sandbox.set_rate_limit(max_requests=3, interval_ms=2000, search_per_second=2)
    response = requests.get(f"{sandbox.url}/crm/v3/owners", headers={"Authorization": f"Bearer {sandbox.token}"})
    assert response.headers["X-HubSpot-RateLimit-Max"] == "3"
    assert response.headers["X-HubSpot-RateLimit-Remaining"] == "2"
    assert response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "2000"
    assert response.headers["X-HubSpot-RateLimit-Daily"] == "250000"
    assert response.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "249999"
    hs.crm.owners.owners_api.get_page()
    hs.crm.owners.owners_api.get_page()
    with pytest.raises(ApiException) as limited:  # a POST: urllib3 would retry a GET after Retry-After
        hs.crm.companies.batch_api.read(BatchReadInputSimplePublicObjectId(inputs=[], properties_with_history=[]))
    assert limited.value.status == 429
    assert limited.value.headers["Retry-After"] in ("1", "2")
    body = _body(limited.value)
    assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."

    search = hs.crm.companies.search_api.do_search
    assert search(PublicObjectSearchRequest()).total == 0, "search has its own bucket"
    search(PublicObjectSearchRequest())
    with pytest.raises(ApiException) as searched:
        search(PublicObjectSearchRequest())
    assert searched.value.status == 429 and _body(searched.value)["policyName"] == "SECONDLY"
    assert "X-HubSpot-RateLimit-Max" not in searched.value.headers

    sandbox.set_rate_limit(max_requests=None, search_per_second=0)
    for _ in range(5):
        hs.crm.companies.basic_api.get_page()
    assert sandbox.request_counts()["rate_limited"] == 2


def test_daily_limit(sandbox, hs):
    _control(sandbox, "POST", "rate_limit", {"daily": 1})
    hs.crm.owners.owners_api.get_page()
    with pytest.raises(ApiException) as raised:
        hs.crm.owners.owners_api.get_page()
    assert raised.value.status == 429 and _body(raised.value)["policyName"] == "DAILY"


def test_injected_errors_happen_before_the_write_unless_asked_otherwise(sandbox, hs):
    sandbox.set_faults(error_rate=1.0)
    with pytest.raises(ServiceException) as failed:
        _new_company(hs, name="Lost")
    assert failed.value.status in (500, 502, 503, 504) and _body(failed.value)["status"] == "error"
    assert sandbox.state.live_records("companies") == [], "a failed write did not happen; retrying is safe"
    assert _control(sandbox, "GET", "state").status_code == 200, "control routes are never faulted"

    sandbox.set_faults(error_rate=0.0, burst=2)
    for _ in range(2):
        with pytest.raises(ApiException) as burst:
            hs.crm.owners.owners_api.get_page()
        assert type(burst.value).__name__ == "ServiceException" and burst.value.status == 503
    assert hs.crm.owners.owners_api.get_page().results

    _control(sandbox, "POST", "faults", {"burst": 1, "fail_after_commit": True})
    with pytest.raises(ServiceException):
        _new_company(hs, name="Written")
    assert [r.properties["name"] for r in sandbox.state.live_records("companies")] == ["Written"]
    assert sandbox.request_counts()["server_errors"] == 4


def test_error_rate_is_reproducible_and_latency_is_added():
    def statuses() -> list[int]:
        with SandboxServer(fault_seed=7) as server:
            server.set_faults(error_rate=0.5)
            headers = {"Authorization": f"Bearer {server.token}"}
            return [requests.get(f"{server.url}/crm/v3/owners", headers=headers).status_code for _ in range(12)]

    first = statuses()
    assert first == statuses() and {200} < set(first)

    with SandboxServer() as server:
        server.set_faults(latency_ms=150)
        started = time.monotonic()
        requests.get(f"{server.url}/crm/v3/owners", headers={"Authorization": f"Bearer {server.token}"})
        assert time.monotonic() - started >= 0.15


def test_request_log_counts_per_route_and_resets(sandbox, hs):
    ids = [_new_company(hs, name=f"Co {index}") for index in range(2)]
    for _ in range(3):
        hs.crm.companies.batch_api.update(
            BatchInputSimplePublicObjectBatchInput(
                inputs=[SimplePublicObjectBatchInput(id=key, properties={"industry": "X"}) for key in ids]
            )
        )
    hs.crm.objects.tasks.basic_api.get_page()
    counts = _control(sandbox, "GET", "requests").json()
    assert counts["by_route"]["POST /crm/v3/objects/companies/batch/update"] == 3
    assert counts["by_route"]["POST /crm/v3/objects/companies"] == 2
    assert counts["by_route"]["GET /crm/v3/objects/tasks"] == 1
    assert counts["total"] == 6 and counts["by_status"]["200"] == 4
    assert _control(sandbox, "DELETE", "requests").json()["total"] == 0


# ---- control API, edges, CLI ----------------------------------------------------------------


def test_seed_state_and_reset(sandbox, hs):
    seeded = _control(
        sandbox,
        "POST",
        "seed",
        {
            "owners": [{"email": "dan@example.com", "firstName": "Dan"}],
            "companies": [{"name": "Acme", "domain": "acme.com"}, {"properties": {"name": "Beta"}}],
            "contacts": [{"properties": {"email": "ana@acme.com"}, "associate": {"companies": [0]}}],
            "deals": [{"properties": {"dealname": "Acme renewal", "dealstage": "1001001", "pipeline": "1001"}}],
            "sequences": [{"name": "Win-back", "ownerEmail": "dan@example.com"}],
        },
    )
    assert seeded.status_code == 201
    ids = seeded.json()
    assert len(ids["companies"]) == 2 and ids["owners"][0]["email"] == "dan@example.com"
    contact = hs.crm.contacts.basic_api.get_by_id(ids["contacts"][0], associations=["companies"])
    assert contact.associations["companies"].results[0].id == ids["companies"][0]

    only = _control(sandbox, "GET", "state?object=companies").json()
    assert [c["properties"]["name"] for c in only["companies"]] == ["Acme", "Beta"]
    everything = _control(sandbox, "GET", "state").json()
    assert {"objects", "owners", "pipelines", "sequences", "associations"} <= set(everything)

    assert _control(sandbox, "POST", "reset").json() == {"status": "reset"}
    assert hs.crm.companies.basic_api.get_page().results == []
    assert len(hs.crm.owners.owners_api.get_page().results) == 3


def test_unknown_routes_wrong_methods_and_bad_json_get_hubspot_shaped_errors(sandbox):
    headers = {"Authorization": f"Bearer {sandbox.token}", "Content-Type": "application/json"}
    missing = requests.get(f"{sandbox.url}/crm/v3/nothing", headers=headers)
    assert missing.status_code == 404 and missing.json()["status"] == "error" and missing.json()["correlationId"]
    wrong = requests.put(f"{sandbox.url}/crm/v3/objects/companies/search", headers=headers)
    assert wrong.status_code == 405 and wrong.json()["category"]
    broken = requests.post(f"{sandbox.url}/crm/v3/objects/companies", data="{nope", headers=headers)
    assert broken.status_code == 400 and "line 1" in broken.json()["message"]
    unknown_type = requests.get(f"{sandbox.url}/crm/v3/objects/widgets", headers=headers)
    assert unknown_type.status_code == 400 and "widgets" in unknown_type.json()["message"]


def test_cli_dump_prints_the_state(sandbox, hs):
    _new_company(hs, name="Acme")
    result = CliRunner().invoke(
        cli,
        ["sandbox", "dump", "--url", sandbox.url, "--object", "companies"],
        env={"HEALTHLOOP_SANDBOX_TOKEN": sandbox.token},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["companies"][0]["properties"]["name"] == "Acme"
    refused = CliRunner().invoke(
        cli, ["sandbox", "dump", "--url", sandbox.url], env={"HEALTHLOOP_SANDBOX_TOKEN": "wrong"}
    )
    assert refused.exit_code != 0 and "401" in refused.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli_serves_the_sandbox_in_the_foreground():
    # Port 0: the server picks free ports and prints them (a port probed here could be taken by the
    # time the subprocess binds it, e.g. by a parallel test's sandbox).
    command = [sys.executable, "-c", "from connector.cli.main import cli; cli()", "sandbox", "--port", "0"]
    command += ["--tls-port", "0"]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HEALTHLOOP_SANDBOX_TOKEN": "cli-token"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:  # the banner ends with "Inspect it with", then it serves
            lines.append(line)
            if line.startswith("HubSpot sandbox listening on "):
                url = line.removeprefix("HubSpot sandbox listening on ").strip()
            if line.startswith("Inspect it with"):
                break
        else:
            raise AssertionError("the sandbox did not come up:\n" + "".join(lines))
        response = requests.get(f"{url}/crm/v3/owners", headers={"Authorization": "Bearer cli-token"}, timeout=10)
        assert response.status_code == 200 and len(response.json()["results"]) == 3
        client = hubspot.HubSpot(access_token="cli-token", host=url)
        assert client.crm.companies.basic_api.get_page().results == []
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"HUBSPOT_BASE_URL={url} HUBSPOT_ACCESS_TOKEN=cli-token" in "".join(lines) + output
