"""Sales Engagement's cadence actions against the org: `assignTargetToSalesCadence` starts a Running
ActionCadenceTracker for a contact, `removeTargetFromSalesCadence` ends the active one (ManuallyRemoved).
A tracker finishing on its own is `SalesforceOrg.finish_tracker` (the control API simulates it).
"""

from __future__ import annotations

from typing import Any

from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.ids import normalize_id
from crm_adapters.sandbox.salesforce.org import SalesforceOrg
from crm_adapters.sandbox.salesforce.record import SfRecord


def assign_to_cadence(org: SalesforceOrg, item: dict[str, Any]) -> SfRecord:
    """Create a Running ActionCadenceTracker for one `assignTargetToSalesCadence` input."""
    with org.lock:
        wanted = item.get("salesCadenceNameOrId")
        for key in ("salesCadenceNameOrId", "targetId"):
            if not item.get(key):
                raise SalesforceApiError(400, "REQUIRED_FIELD_MISSING", f"Missing required input parameter: {key}")
        cadence = org.find(str(wanted))
        if cadence is None or cadence.sobject != "ActionCadence" or cadence.deleted:
            live = [r for r in org.records["ActionCadence"].values() if not r.deleted]
            cadence = next((r for r in live if r.values["Name"] == wanted), None)
        if cadence is None:
            raise SalesforceApiError(400, "INVALID_INPUT", f"We couldn't find a cadence named or with ID {wanted}.")
        target = org.find(str(item["targetId"]))
        if target is None or target.deleted or target.sobject != "Contact":
            raise SalesforceApiError(
                400,
                "INVALID_INPUT",
                f"targetId {item['targetId']} must be the ID of a contact, lead or person account.",
            )
        user_id = item.get("userId") or org.integration_user_id
        user = org.find(str(user_id))
        if user is None or user.sobject != "User" or not user.values.get("IsActive"):
            raise SalesforceApiError(400, "INVALID_INPUT", f"userId {user_id} must be the ID of an active user.")
        running = any(
            t.values["TargetId"] == target.id and t.values["State"] in ("Running", "Paused", "Initializing")
            for t in org.records["ActionCadenceTracker"].values()
        )
        if running:
            raise SalesforceApiError(
                400, "INVALID_INPUT", f"Target {target.id} is already assigned to an active cadence."
            )
        values = {"ActionCadenceId": cadence.id, "TargetId": target.id, "State": "Running", "OwnerId": user.id}
        return org.create("ActionCadenceTracker", values | {"IsTrackerActive": True}, trusted=True)


def remove_from_cadence(org: SalesforceOrg, item: dict[str, Any]) -> SfRecord:
    with org.lock:
        wanted = item.get("actionCadenceTrackerId") or item.get("targetId")
        if not wanted:
            raise SalesforceApiError(400, "REQUIRED_FIELD_MISSING", "Missing required input parameter: targetId")
        full = normalize_id(str(wanted))
        tracker = next(
            (
                t
                for t in org.records["ActionCadenceTracker"].values()
                if full in (t.id, t.values["TargetId"]) and t.values["IsTrackerActive"]
            ),
            None,
        )
        if tracker is None:
            raise SalesforceApiError(400, "INVALID_INPUT", f"No active cadence tracker for {wanted}.")
        disposition = item.get("completionDisposition")
        return org.finish_tracker(tracker.id, reason="ManuallyRemoved", disposition=disposition)
