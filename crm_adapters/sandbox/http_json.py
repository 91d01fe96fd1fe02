"""JSON in and out of a Flask route: a request body parsed with a HubSpot-shaped 400 that says where the
JSON broke, and a JSON response with a status.

Shared by the HubSpot routes and the control API (the Salesforce routes parse with Salesforce's errors but
answer through `respond` too); imports only `errors`.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request

from crm_adapters.sandbox.errors import SandboxError


def json_body() -> Any:
    """The parsed JSON body, or a HubSpot-style 400 that says where the JSON broke."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise SandboxError(400, "VALIDATION_ERROR", "Invalid input JSON: the request body is empty")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SandboxError(
            400, "VALIDATION_ERROR", f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError:
        raise SandboxError(400, "VALIDATION_ERROR", "Invalid input JSON: the body is not UTF-8") from None


def json_object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise SandboxError(400, "VALIDATION_ERROR", "Invalid input JSON: expected an object at the top level")
    return body


def respond(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
