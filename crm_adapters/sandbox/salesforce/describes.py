"""The describes of the stock sObjects healthloop touches, with realistic standard fields, and of the
Tooling API objects the sandbox serves (CustomField only).

Pure data; `org.SalesforceOrg` copies them on reset and adds custom fields to its copy.
"""

from __future__ import annotations

from typing import Any

from crm_adapters.sandbox.salesforce.catalog import (
    OPPORTUNITY_STAGES,
    TASK_STATUSES,
    field_def,
    object_describe,
    owner_field,
    reference_field,
)

_READ_ONLY = {"updateable": False}
_ACCOUNT_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Other")
_INDUSTRIES = ("Agriculture", "Banking", "Education", "Finance", "Healthcare", "Manufacturing", "Media")
_INDUSTRIES += ("Retail", "Technology", "Telecommunications", "Other")
_OPPORTUNITY_TYPES = ("Existing Customer - Upgrade", "Existing Customer - Replacement")
_OPPORTUNITY_TYPES += ("Existing Customer - Downgrade", "New Customer")
_STAGES = tuple(stage[0] for stage in OPPORTUNITY_STAGES)
_STATUSES = tuple(status[0] for status in TASK_STATUSES)
_CADENCE_STATES = ("Complete", "Error", "Initializing", "Paused", "Running")
_COMPLETION_REASONS = ("AutomaticallyExited", "DaisyChained", "LeadConverted", "ManuallyRemoved", "NoMoreSteps")
_DISPOSITIONS = ("Bad Data", "Contact Later", "Customer Connected", "Customer Engaged", "Disqualified")
_DISPOSITIONS += ("Duplicate", "No Response", "Not Interested", "Success")


def standard_describes() -> dict[str, dict[str, Any]]:
    """The stock objects healthloop touches, with realistic standard fields."""
    return {
        "Account": object_describe("Account", _account_fields()),
        "Contact": object_describe("Contact", _contact_fields()),
        "Opportunity": object_describe("Opportunity", _opportunity_fields(), plural="Opportunities"),
        "Task": object_describe("Task", _task_fields()),
        "User": object_describe("User", _user_fields()),
        "ActionCadence": object_describe("ActionCadence", _cadence_fields()),
        "ActionCadenceTracker": object_describe("ActionCadenceTracker", _tracker_fields()),
        "TaskStatus": object_describe("TaskStatus", _task_status_fields(), system=False, plural="Task Statuses"),
        "OpportunityStage": object_describe("OpportunityStage", _stage_fields(), system=False),
    }


def _account_fields() -> list[dict[str, Any]]:
    return [
        field_def("Name", "string", "Account Name", length=255, nillable=False),
        field_def("AccountNumber", "string", length=40),
        field_def("Type", "picklist", "Account Type", length=255, values=_ACCOUNT_TYPES),
        field_def("Industry", "picklist", length=255, values=_INDUSTRIES),
        field_def("Website", "url", length=255),
        field_def("Phone", "phone", length=40),
        field_def("BillingCity", "string", length=40),
        field_def("BillingCountry", "string", length=80),
        field_def("AnnualRevenue", "currency", precision=18, scale=0),
        field_def("NumberOfEmployees", "int", "Employees", precision=8),
        field_def("Description", "textarea", "Account Description", length=32000),
        owner_field(),
    ]


def _contact_fields() -> list[dict[str, Any]]:
    return [
        reference_field("AccountId", "Account"),
        field_def("FirstName", "string", length=40),
        field_def("LastName", "string", length=80, nillable=False),
        field_def("Name", "string", "Full Name", length=121, **_READ_ONLY),
        field_def("Email", "email", length=80),
        field_def("Phone", "phone", length=40),
        field_def("Title", "string", length=128),
        owner_field(),
    ]


def _opportunity_fields() -> list[dict[str, Any]]:
    return [
        reference_field("AccountId", "Account"),
        field_def("Name", "string", length=120, nillable=False),
        field_def("Description", "textarea", length=32000),
        field_def("StageName", "picklist", "Stage", length=255, nillable=False, values=_STAGES, restricted=True),
        field_def("Amount", "currency", precision=18, scale=2),
        field_def("Probability", "percent", "Probability (%)", precision=3, scale=0),
        field_def("CloseDate", "date", nillable=False),
        field_def("Type", "picklist", "Opportunity Type", length=255, values=_OPPORTUNITY_TYPES),
        field_def("NextStep", "string", length=255),
        field_def("IsClosed", "boolean", "Closed", **_READ_ONLY),
        field_def("IsWon", "boolean", "Won", **_READ_ONLY),
        field_def("ForecastCategoryName", "picklist", "Forecast Category", length=40, **_READ_ONLY),
        owner_field(),
    ]


def _task_fields() -> list[dict[str, Any]]:
    return [
        reference_field("WhoId", "Contact", label="Name ID", relationship="Who"),
        reference_field("WhatId", "Account", "Opportunity", label="Related To ID", relationship="What"),
        field_def("Subject", "combobox", length=255),
        field_def("ActivityDate", "date", "Due Date Only"),
        field_def(
            "Status",
            "picklist",
            length=255,
            nillable=False,
            values=_STATUSES,
            default_value="Not Started",
            restricted=True,
            defaulted=True,
        ),
        field_def(
            "Priority",
            "picklist",
            length=40,
            nillable=False,
            values=("High", "Normal", "Low"),
            default_value="Normal",
            restricted=True,
            defaulted=True,
        ),
        field_def("IsHighPriority", "boolean", "High Priority", **_READ_ONLY),
        owner_field(),
        field_def("Description", "textarea", length=32000),
        field_def("Type", "picklist", length=40, values=("Call", "Email", "Meeting", "Other")),
        field_def("IsClosed", "boolean", "Closed", **_READ_ONLY),
        reference_field("AccountId", "Account", updateable=False),
        field_def("CompletedDateTime", "datetime", "Completed Date/Time", **_READ_ONLY),
        field_def(
            "TaskSubtype",
            "picklist",
            "Task Subtype",
            length=40,
            updateable=False,
            createable=True,
            values=("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"),
            default_value="Task",
            defaulted=True,
        ),
    ]


def _user_fields() -> list[dict[str, Any]]:
    return [
        field_def("Username", "string", length=80, nillable=False),
        field_def("FirstName", "string", length=40),
        field_def("LastName", "string", length=80, nillable=False),
        field_def("Name", "string", "Full Name", length=121, **_READ_ONLY),
        field_def("Email", "email", length=128, nillable=False),
        field_def("Alias", "string", length=8, nillable=False),
        field_def("Title", "string", length=80),
        field_def("IsActive", "boolean", "Active"),
    ]


def _cadence_fields() -> list[dict[str, Any]]:
    return [
        field_def("Name", "string", length=80, nillable=False),
        field_def("State", "picklist", length=40, values=("Active", "Inactive", "Draft")),
        owner_field(),
    ]


def _tracker_fields() -> list[dict[str, Any]]:
    return [
        reference_field("ActionCadenceId", "ActionCadence"),
        reference_field("TargetId", "Contact", relationship="Target"),
        field_def("State", "picklist", length=40, nillable=False, values=_CADENCE_STATES, restricted=True),
        field_def("CompletionReason", "picklist", length=40, values=_COMPLETION_REASONS, restricted=True),
        field_def("CompletionDisposition", "picklist", length=40, values=_DISPOSITIONS),
        field_def("IsTrackerActive", "boolean", "Tracker Active"),
        owner_field(),
    ]


def _task_status_fields() -> list[dict[str, Any]]:
    return [
        field_def("ApiName", "string", "Api Name", length=255),
        field_def("MasterLabel", "string", "Master Label", length=255),
        field_def("SortOrder", "int", "Sort Order", precision=3),
        field_def("IsDefault", "boolean", "Is Default"),
        field_def("IsClosed", "boolean", "Is Closed"),
    ]


def _stage_fields() -> list[dict[str, Any]]:
    return [
        field_def("ApiName", "string", "Api Name", length=255),
        field_def("MasterLabel", "string", "Master Label", length=255),
        field_def("IsActive", "boolean", "Is Active"),
        field_def("SortOrder", "int", "Sort Order", precision=3),
        field_def("IsClosed", "boolean", "Is Closed"),
        field_def("IsWon", "boolean", "Is Won"),
        field_def("ForecastCategoryName", "string", "Forecast Category", length=40),
        field_def("DefaultProbability", "percent", "Probability (%)", precision=3, scale=0),
    ]


def tooling_describes() -> dict[str, dict[str, Any]]:
    """The Tooling API objects the sandbox serves: CustomField only."""
    fields = [
        field_def("Id", "id", length=18, updateable=False, nillable=False),
        field_def("DeveloperName", "string", length=40),
        field_def("TableEnumOrId", "string", length=40),
        field_def("NamespacePrefix", "string", length=15),
        field_def("FullName", "string", length=255),
    ]
    return {
        "CustomField": {
            "name": "CustomField",
            "label": "Custom Field",
            "keyPrefix": "00N",
            "custom": False,
            "fields": {d["name"]: d for d in fields},
        }
    }
