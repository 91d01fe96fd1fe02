"""Deal pipelines: the two a fresh portal ships with, and the rules a deal's stage follows.

A stage must belong to the deal's pipeline (`default` when none is given), and the stage's metadata
decides `hs_is_closed` / `hs_is_closed_won`, as HubSpot derives them.
"""

from __future__ import annotations

from typing import Any


def _stage(stage_id: str, label: str, order: int, probability: str, closed: bool, stamp: str) -> dict[str, Any]:
    return {
        "id": stage_id,
        "label": label,
        "displayOrder": order,
        "metadata": {"isClosed": str(closed).lower(), "probability": probability},
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        "archived": False,
        "createdAt": stamp,
        "updatedAt": stamp,
    }


def _pipeline(pipeline_id: str, label: str, order: int, stages: list[tuple[str, str, str, bool]], stamp: str) -> dict:
    return {
        "id": pipeline_id,
        "label": label,
        "displayOrder": order,
        "archived": False,
        "createdAt": stamp,
        "updatedAt": stamp,
        "stages": [_stage(sid, name, i, chance, closed, stamp) for i, (sid, name, chance, closed) in enumerate(stages)],
    }


def deal_pipelines(stamp: str) -> list[dict[str, Any]]:
    """The stock pipeline (`default`, stages `closedwon`/`closedlost`) and a custom one with numeric stage ids."""
    sales = [
        ("appointmentscheduled", "Appointment scheduled", "0.2", False),
        ("qualifiedtobuy", "Qualified to buy", "0.4", False),
        ("presentationscheduled", "Presentation scheduled", "0.6", False),
        ("decisionmakerboughtin", "Decision maker bought-in", "0.8", False),
        ("contractsent", "Contract sent", "0.9", False),
        ("closedwon", "Closed won", "1.0", True),
        ("closedlost", "Closed lost", "0.0", True),
    ]
    renewals = [
        ("1001001", "Renewal due", "0.5", False),
        ("1001002", "Renewed", "1.0", True),
        ("1001003", "Churned", "0.0", True),
    ]
    return [_pipeline("default", "Sales Pipeline", 0, sales, stamp), _pipeline("1001", "Renewals", 1, renewals, stamp)]


def check_deal_stage(
    pipelines: list[dict[str, Any]], values: dict[str, str], current_pipeline: str | None
) -> list[tuple[str, str, str]]:
    """(name, code, message) problems of a deal write's `dealstage`; fills in `pipeline` when the write has none."""
    if "dealstage" not in values or not values["dealstage"]:
        return []
    pipeline_id = values.get("pipeline") or current_pipeline or "default"
    values.setdefault("pipeline", pipeline_id)
    pipeline = next((p for p in pipelines if p["id"] == pipeline_id), None)
    stages = [stage["id"] for stage in pipeline["stages"]] if pipeline else []
    if values["dealstage"] not in stages:
        message = f"{values['dealstage']} is not a valid stage of pipeline {pipeline_id}: {', '.join(stages)}"
        return [("dealstage", "INVALID_OPTION", message)]
    return []


def deal_closed_flags(pipelines: list[dict[str, Any]], pipeline_id: str | None, stage_id: str) -> dict[str, str]:
    """`hs_is_closed` and `hs_is_closed_won` for a deal in `stage_id` of `pipeline_id`."""
    pipeline = next((p for p in pipelines if p["id"] == (pipeline_id or "default")), None)
    stage = next((s for s in (pipeline or {}).get("stages", []) if s["id"] == stage_id), None)
    metadata = stage["metadata"] if stage else {}
    closed = metadata.get("isClosed") == "true"
    won = closed and metadata.get("probability") == "1.0"
    return {"hs_is_closed": str(closed).lower(), "hs_is_closed_won": str(won).lower()}
