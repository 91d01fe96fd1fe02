"""What every Salesforce route shares: the org of the current app, its HTTPS address, JSON bodies read
with Salesforce's parse errors, and `guarded_blueprint`, which puts a blueprint behind what every REST
call goes through: the URI length limit, a valid session (except for the token endpoints), the daily API
allocation (`Sforce-Limit-Info`, 403 REQUEST_LIMIT_EXCEEDED), the faults shared with the HubSpot side,
and errors rendered as Salesforce's JSON arrays so simple-salesforce raises its own exception classes.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.salesforce.errors import MultipleMatches, OAuthError, SalesforceApiError
from crm_adapters.sandbox.salesforce.ids import API_VERSION
from crm_adapters.sandbox.salesforce.org import SalesforceOrg

DATA = "/services/data/<v>"
MAX_URI_BYTES = 16_384
NOT_FOUND = "The requested resource does not exist"
_INJECTED = {500: "UNKNOWN_EXCEPTION", 502: "SERVER_UNAVAILABLE", 503: "SERVER_UNAVAILABLE", 504: "SERVER_UNAVAILABLE"}


def org() -> SalesforceOrg:
    return current_app.extensions["salesforce.org"]  # type: ignore[no-any-return]


def instance_url() -> str:
    """The HTTPS address the sandbox serves Salesforce on (what token responses name as `instance_url`)."""
    return current_app.extensions.get("salesforce.instance_url") or request.host_url.rstrip("/")


def json_payload() -> Any:
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", f"Unexpected character in the request body: {exc}") from None


def json_object() -> dict[str, Any]:
    body = json_payload()
    if not isinstance(body, dict):
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body


def api_version(v: str) -> str:
    """`59.0` for the `v59.0` of a route."""
    return v[1:]


def guarded_blueprint(
    name: str, import_name: str, *, sessions: bool = True, unguarded: Iterable[str] = ()
) -> Blueprint:
    """A blueprint whose routes are guarded and answer errors as Salesforce does.

    `sessions=False` is for the token endpoints; endpoints in `unguarded` skip everything but the URI limit.
    """
    bp = Blueprint(name, import_name)
    skipped = frozenset(unguarded)

    @bp.before_request
    def _guard() -> None:
        if len(request.full_path.encode()) > MAX_URI_BYTES:
            raise SalesforceApiError(414, "URI_TOO_LONG", f"The request URI is longer than {MAX_URI_BYTES} bytes")
        if request.endpoint in skipped:
            return
        version = (request.view_args or {}).get("v")
        if version is not None and not re.fullmatch(r"v\d{2,3}\.\d", version):
            raise SalesforceApiError(404, "NOT_FOUND", NOT_FOUND)
        if sessions:
            _check_session_and_allocation()
        _inject_faults()

    bp.after_request(_finish)
    bp.register_error_handler(SalesforceApiError, _api_error)
    bp.register_error_handler(OAuthError, _oauth_error)
    bp.register_error_handler(MultipleMatches, _multiple)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, _unexpected)
    return bp


def _check_session_and_allocation() -> None:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token or org().access.session_status(token) != "valid":
        raise SalesforceApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
    allowed, used, limit = org().access.count_call()
    g.sf_usage = (used, limit)
    if not allowed:
        raise SalesforceApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def _inject_faults() -> None:
    faults = current_app.extensions["sandbox.guards"].faults
    if faults.latency_s:
        time.sleep(faults.latency_s)
    injected = faults.draw()
    if injected is not None:
        if not faults.config.fail_after_commit:
            raise _injected_error(injected)
        g.sf_fail_after_commit = injected


def _injected_error(status: int) -> SalesforceApiError:
    return SalesforceApiError(
        status,
        _INJECTED[status],
        f"Service temporarily unavailable (HTTP {status}, injected by the healthloop sandbox)",
    )


def _finish(response: Response) -> Response:
    injected = g.pop("sf_fail_after_commit", None)
    if injected is not None and response.status_code < 500:
        response = respond(_injected_error(injected).body(), injected)
    usage = g.get("sf_usage")
    if usage is not None:
        response.headers["Sforce-Limit-Info"] = f"api-usage={usage[0]}/{usage[1]}"
    return response


def _api_error(exc: SalesforceApiError) -> Response:
    return respond(exc.body(), exc.status)


def _oauth_error(exc: OAuthError) -> Response:
    return respond({"error": exc.error, "error_description": exc.description}, exc.status)


def _multiple(exc: MultipleMatches) -> Response:
    v = (request.view_args or {}).get("v", f"v{API_VERSION}")
    return respond([f"/services/data/{v}/sobjects/{exc.sobject}/{record_id}" for record_id in exc.ids], 300)


def _http_error(exc: HTTPException) -> Response:
    return respond(
        SalesforceApiError(exc.code or 500, "NOT_FOUND", exc.description or NOT_FOUND).body(), exc.code or 500
    )


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("Salesforce sandbox failed on %s %s", request.method, request.path)
    return respond(
        SalesforceApiError(500, "UNKNOWN_EXCEPTION", f"sandbox bug: {type(exc).__name__}: {exc}").body(), 500
    )
