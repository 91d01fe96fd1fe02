"""The Sales Engagement invocable actions (`assignTargetToSalesCadence`, `removeTargetFromSalesCadence`):
one result per input, 400 when every input failed, 404 when Sales Engagement is off for the org.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.salesforce.cadences import assign_to_cadence, remove_from_cadence
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.http import DATA, NOT_FOUND, guarded_blueprint, json_object, org

bp = guarded_blueprint("salesforce_actions", __name__)


@bp.post(f"{DATA}/actions/standard/<action_type>", strict_slashes=False)
def standard_action(v: str, action_type: str) -> Response:
    """Cadence actions, one result per input; 400 when every input failed, as Salesforce answers."""
    handlers = {
        "assignTargetToSalesCadence": assign_to_cadence,
        "removeTargetFromSalesCadence": remove_from_cadence,
    }
    if action_type not in handlers or not org().settings.sales_engagement:
        raise SalesforceApiError(404, "NOT_FOUND", NOT_FOUND)
    inputs = json_object().get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(item, dict) for item in inputs):
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "inputs must be a non-empty list of objects")
    results = []
    for item in inputs:
        result: dict[str, Any] = {"actionName": action_type, "errors": None, "isSuccess": True, "outputValues": None}
        try:
            handlers[action_type](org(), item)
        except SalesforceApiError as exc:
            result |= {"errors": [exc.record_error()], "isSuccess": False}
        results.append(result)
    return respond(results, 200 if any(r["isSuccess"] for r in results) else 400)
