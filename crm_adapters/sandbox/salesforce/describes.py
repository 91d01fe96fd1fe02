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


def standard_describes() -> dict[str, dict[str, Any]]:
    """The stock objects healthloop touches, with realistic standard fields."""
    read_only = {"updateable": False}
    account_types = ("Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Other")
    industries = ("Agriculture", "Banking", "Education", "Finance", "Healthcare", "Manufacturing", "Media")
    industries += ("Retail", "Technology", "Telecommunications", "Other")
    opportunity_types = ("Existing Customer - Upgrade", "Existing Customer - Replacement")
    opportunity_types += ("Existing Customer - Downgrade", "New Customer")
    stages = tuple(stage[0] for stage in OPPORTUNITY_STAGES)
    statuses = tuple(status[0] for status in TASK_STATUSES)
    cadence_states = ("Complete", "Error", "Initializing", "Paused", "Running")
    reasons = ("AutomaticallyExited", "DaisyChained", "LeadConverted", "ManuallyRemoved", "NoMoreSteps")
    dispositions = ("Bad Data", "Contact Later", "Customer Connected", "Customer Engaged", "Disqualified")
    dispositions += ("Duplicate", "No Response", "Not Interested", "Success")
    return {
        "Account": object_describe(
            "Account",
            [
                field_def("Name", "string", "Account Name", length=255, nillable=False),
                field_def("AccountNumber", "string", length=40),
                field_def("Type", "picklist", "Account Type", length=255, values=account_types),
                field_def("Industry", "picklist", length=255, values=industries),
                field_def("Website", "url", length=255),
                field_def("Phone", "phone", length=40),
                field_def("BillingCity", "string", length=40),
                field_def("BillingCountry", "string", length=80),
                field_def("AnnualRevenue", "currency", precision=18, scale=0),
                field_def("NumberOfEmployees", "int", "Employees", precision=8),
                field_def("Description", "textarea", "Account Description", length=32000),
                owner_field(),
            ],
        ),
        "Contact": object_describe(
            "Contact",
            [
                reference_field("AccountId", "Account"),
                field_def("FirstName", "string", length=40),
                field_def("LastName", "string", length=80, nillable=False),
                field_def("Name", "string", "Full Name", length=121, **read_only),
                field_def("Email", "email", length=80),
                field_def("Phone", "phone", length=40),
                field_def("Title", "string", length=128),
                owner_field(),
            ],
        ),
        "Opportunity": object_describe(
            "Opportunity",
            [
                reference_field("AccountId", "Account"),
                field_def("Name", "string", length=120, nillable=False),
                field_def("Description", "textarea", length=32000),
                field_def("StageName", "picklist", "Stage", length=255, nillable=False, values=stages, restricted=True),
                field_def("Amount", "currency", precision=18, scale=2),
                field_def("Probability", "percent", "Probability (%)", precision=3, scale=0),
                field_def("CloseDate", "date", nillable=False),
                field_def("Type", "picklist", "Opportunity Type", length=255, values=opportunity_types),
                field_def("NextStep", "string", length=255),
                field_def("IsClosed", "boolean", "Closed", **read_only),
                field_def("IsWon", "boolean", "Won", **read_only),
                field_def("ForecastCategoryName", "picklist", "Forecast Category", length=40, **read_only),
                owner_field(),
            ],
            plural="Opportunities",
        ),
        "Task": object_describe(
            "Task",
            [
                reference_field("WhoId", "Contact", label="Name ID", relationship="Who"),
                reference_field("WhatId", "Account", "Opportunity", label="Related To ID", relationship="What"),
                field_def("Subject", "combobox", length=255),
                field_def("ActivityDate", "date", "Due Date Only"),
                field_def(
                    "Status",
                    "picklist",
                    length=255,
                    nillable=False,
                    values=statuses,
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
                field_def("IsHighPriority", "boolean", "High Priority", **read_only),
                owner_field(),
                field_def("Description", "textarea", length=32000),
                field_def("Type", "picklist", length=40, values=("Call", "Email", "Meeting", "Other")),
                field_def("IsClosed", "boolean", "Closed", **read_only),
                reference_field("AccountId", "Account", updateable=False),
                field_def("CompletedDateTime", "datetime", "Completed Date/Time", **read_only),
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
            ],
        ),
        "User": object_describe(
            "User",
            [
                field_def("Username", "string", length=80, nillable=False),
                field_def("FirstName", "string", length=40),
                field_def("LastName", "string", length=80, nillable=False),
                field_def("Name", "string", "Full Name", length=121, **read_only),
                field_def("Email", "email", length=128, nillable=False),
                field_def("Alias", "string", length=8, nillable=False),
                field_def("Title", "string", length=80),
                field_def("IsActive", "boolean", "Active"),
            ],
        ),
        "ActionCadence": object_describe(
            "ActionCadence",
            [
                field_def("Name", "string", length=80, nillable=False),
                field_def("State", "picklist", length=40, values=("Active", "Inactive", "Draft")),
                owner_field(),
            ],
        ),
        "ActionCadenceTracker": object_describe(
            "ActionCadenceTracker",
            [
                reference_field("ActionCadenceId", "ActionCadence"),
                reference_field("TargetId", "Contact", relationship="Target"),
                field_def("State", "picklist", length=40, nillable=False, values=cadence_states, restricted=True),
                field_def("CompletionReason", "picklist", length=40, values=reasons, restricted=True),
                field_def("CompletionDisposition", "picklist", length=40, values=dispositions),
                field_def("IsTrackerActive", "boolean", "Tracker Active"),
                owner_field(),
            ],
        ),
        "TaskStatus": object_describe(
            "TaskStatus",
            [
                field_def("ApiName", "string", "Api Name", length=255),
                field_def("MasterLabel", "string", "Master Label", length=255),
                field_def("SortOrder", "int", "Sort Order", precision=3),
                field_def("IsDefault", "boolean", "Is Default"),
                field_def("IsClosed", "boolean", "Is Closed"),
            ],
            system=False,
            plural="Task Statuses",
        ),
        "OpportunityStage": object_describe(
            "OpportunityStage",
            [
                field_def("ApiName", "string", "Api Name", length=255),
                field_def("MasterLabel", "string", "Master Label", length=255),
                field_def("IsActive", "boolean", "Is Active"),
                field_def("SortOrder", "int", "Sort Order", precision=3),
                field_def("IsClosed", "boolean", "Is Closed"),
                field_def("IsWon", "boolean", "Is Won"),
                field_def("ForecastCategoryName", "string", "Forecast Category", length=40),
                field_def("DefaultProbability", "percent", "Probability (%)", precision=3, scale=0),
            ],
            system=False,
        ),
    }


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
