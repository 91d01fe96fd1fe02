"""The Salesforce REST routes healthloop uses, answered the way Salesforce answers them.

OAuth token grants (password, JWT bearer, refresh token), describe, SOQL with `nextRecordsUrl` paging,
single-record CRUD and upsert by external id, sObject Collections, Tooling `CustomField`, the Sales
Engagement cadence actions and `/limits`. Every REST call needs a session the token endpoint issued, is
metered against the daily allocation (`Sforce-Limit-Info`, 403 REQUEST_LIMIT_EXCEEDED) and can meet the
faults shared with the HubSpot side. Errors are Salesforce's JSON arrays, so simple-salesforce raises its
own exception classes. `control_bp` adds `/_sandbox/salesforce/...` for tests and the demo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any
from xml.etree import ElementTree

import jwt
from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.salesforce_ids import (
    API_VERSION,
    MAX_COLLECTION_RECORDS,
    ORG_ID,
    MultipleMatches,
    SalesforceApiError,
)
from crm_adapters.sandbox.salesforce_state import SalesforceOrg, SfRecord

bp = Blueprint("salesforce", __name__)
control_bp = Blueprint("salesforce_control", __name__, url_prefix="/_sandbox/salesforce")
DATA = "/services/data/<v>"
MAX_URI_BYTES = 16_384
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_UNGUARDED = {"salesforce.versions", "salesforce.not_found"}
_INJECTED = {500: "UNKNOWN_EXCEPTION", 502: "SERVER_UNAVAILABLE", 503: "SERVER_UNAVAILABLE", 504: "SERVER_UNAVAILABLE"}
_NOT_FOUND = "The requested resource does not exist"


class OAuthError(Exception):
    """The token endpoint's `{error, error_description}` body (not the REST error array)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


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


def _version(v: str) -> str:
    return v[1:]


# ---- guards and errors ------------------------------------------------------------------------


@bp.before_request
def _guard() -> None:
    if len(request.full_path.encode()) > MAX_URI_BYTES:
        raise SalesforceApiError(414, "URI_TOO_LONG", f"The request URI is longer than {MAX_URI_BYTES} bytes")
    if request.endpoint in _UNGUARDED:
        return
    version = (request.view_args or {}).get("v")
    if version is not None and not re.fullmatch(r"v\d{2,3}\.\d", version):
        raise SalesforceApiError(404, "NOT_FOUND", _NOT_FOUND)
    if request.endpoint not in ("salesforce.oauth_token", "salesforce.soap_login"):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not token or org().session_status(token) != "valid":
            raise SalesforceApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        allowed, used, limit = org().count_call()
        g.sf_usage = (used, limit)
        if not allowed:
            raise SalesforceApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
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


@bp.after_request
def _finish(response: Response) -> Response:
    injected = g.pop("sf_fail_after_commit", None)
    if injected is not None and response.status_code < 500:
        response = respond(_injected_error(injected).body(), injected)
    usage = g.get("sf_usage")
    if usage is not None:
        response.headers["Sforce-Limit-Info"] = f"api-usage={usage[0]}/{usage[1]}"
    return response


@bp.errorhandler(SalesforceApiError)
@control_bp.errorhandler(SalesforceApiError)
def _api_error(exc: SalesforceApiError) -> Response:
    return respond(exc.body(), exc.status)


@bp.errorhandler(OAuthError)
def _oauth_error(exc: OAuthError) -> Response:
    return respond({"error": exc.error, "error_description": exc.description}, exc.status)


@bp.errorhandler(MultipleMatches)
def _multiple(exc: MultipleMatches) -> Response:
    v = (request.view_args or {}).get("v", f"v{API_VERSION}")
    return respond([f"/services/data/{v}/sobjects/{exc.sobject}/{record_id}" for record_id in exc.ids], 300)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return respond(
        SalesforceApiError(exc.code or 500, "NOT_FOUND", exc.description or _NOT_FOUND).body(), exc.code or 500
    )


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("Salesforce sandbox failed on %s %s", request.method, request.path)
    return respond(
        SalesforceApiError(500, "UNKNOWN_EXCEPTION", f"sandbox bug: {type(exc).__name__}: {exc}").body(), 500
    )


@bp.route("/services/<path:rest>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
def not_found(rest: str) -> Response:
    """Anything else under /services: 405 when another method would match, else Salesforce's NOT_FOUND."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "salesforce.not_found":
            allowed.append(method)
    if allowed:
        raise SalesforceApiError(
            405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(allowed)}"
        )
    raise SalesforceApiError(404, "NOT_FOUND", _NOT_FOUND)


# ---- OAuth ------------------------------------------------------------------------------------


@bp.post("/services/oauth2/token")
def oauth_token() -> Response:
    form, credentials = request.form, org().credentials
    grant = form.get("grant_type", "")
    if grant == "password":
        _check_client(form.get("client_id"), form.get("client_secret"), required=True)
        expected = credentials.password + credentials.security_token
        if form.get("username") != credentials.username or form.get("password") != expected:
            raise OAuthError("invalid_grant", "authentication failure")
    elif grant == JWT_BEARER:
        _check_assertion(form.get("assertion", ""))
    elif grant == "refresh_token":
        _check_client(form.get("client_id"), form.get("client_secret"), required=False)
        if form.get("refresh_token") != credentials.refresh_token:
            raise OAuthError("invalid_grant", "expired access/refresh token")
    else:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    issued_at = str(int(time.time() * 1000))
    identity = f"{instance_url()}/id/{ORG_ID}/{org().integration_user_id}"
    digest = hmac.new(credentials.consumer_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    return respond(
        {
            "access_token": org().issue_session(),
            "instance_url": instance_url(),
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode(),
        }
    )


_SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
_PARTNER = "urn:partner.soap.sforce.com"


@bp.post("/services/Soap/u/<version>")
def soap_login(version: str) -> Response:
    """The partner API `login` call: username + password + security token, no connected app."""
    credentials = org().credentials
    try:
        root = ElementTree.fromstring(request.get_data())
    except ElementTree.ParseError:
        return _soap_fault("soapenv:Client", "Unable to parse the request XML", 500)
    username = root.findtext(f".//{{{_PARTNER}}}username") or ""
    password = root.findtext(f".//{{{_PARTNER}}}password") or ""
    if username != credentials.username or password != credentials.password + credentials.security_token:
        return _soap_fault(
            "sf:INVALID_LOGIN", "INVALID_LOGIN: Invalid username, password, security token; or user locked out.", 500
        )
    session = org().issue_session()
    server_url = f"{instance_url()}/services/Soap/u/{version}/{ORG_ID[:15]}"
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{_SOAP_ENVELOPE}" '
        f'xmlns="{_PARTNER}"><soapenv:Body><loginResponse><result>'
        f"<metadataServerUrl>{instance_url()}/services/Soap/m/{version}/{ORG_ID[:15]}</metadataServerUrl>"
        f"<passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>{server_url}</serverUrl>"
        f"<sessionId>{session}</sessionId><userId>{org().integration_user_id}</userId>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status=200, content_type="text/xml; charset=utf-8")


def _soap_fault(code: str, message: str, status: int) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{_SOAP_ENVELOPE}" '
        f'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault><faultcode>{code}</faultcode>'
        f"<faultstring>{message}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status=status, content_type="text/xml; charset=utf-8")


def _check_client(client_id: str | None, client_secret: str | None, *, required: bool) -> None:
    credentials = org().credentials
    if client_id != credentials.consumer_key:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if (required or client_secret is not None) and client_secret != credentials.consumer_secret:
        raise OAuthError("invalid_client", "invalid client credentials")


def _check_assertion(assertion: str) -> None:
    """RS256 JWT: iss = consumer key, sub = username, aud = a login URL, exp in the future."""
    credentials = org().credentials
    if not credentials.jwt_public_key:
        raise OAuthError("invalid_grant", "invalid assertion: no certificate is registered for JWT bearer grants")
    try:
        claims = jwt.decode(
            assertion,
            credentials.jwt_public_key,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_aud": False},
        )
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if claims.get("iss") != credentials.consumer_key:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if claims.get("sub") != credentials.username:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    audiences = {"https://login.salesforce.com", "https://test.salesforce.com", instance_url(), request.host_url}
    audience = claims.get("aud")
    if not any(str(a).rstrip("/") in {x.rstrip("/") for x in audiences} for a in _as_list(audience)):
        raise OAuthError("invalid_grant", "audience is invalid")
    try:
        expires = float(claims["exp"])  # simple-salesforce sends exp as a string; Salesforce accepts both
    except (KeyError, TypeError, ValueError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if expires < time.time():
        raise OAuthError("invalid_grant", "expired authorization code")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---- versions, limits, describe ---------------------------------------------------------------


def _release(version: int) -> str:
    offset = version - 59  # v59.0 is Winter '24; three releases a year
    return f"{('Winter', 'Spring', 'Summer')[offset % 3]} '{24 + offset // 3}"


@bp.get("/services/data", strict_slashes=False)
def versions() -> Response:
    return respond(
        [{"label": _release(n), "url": f"/services/data/v{n}.0", "version": f"{n}.0"} for n in range(31, 67)]
    )


@bp.get(f"{DATA}/", strict_slashes=False)
def resources(v: str) -> Response:
    names = ("sobjects", "query", "queryAll", "limits", "tooling", "composite", "actions")
    return respond({name: f"/services/data/{v}/{name}" for name in names})


@bp.get(f"{DATA}/limits", strict_slashes=False)
def limits(v: str) -> Response:
    used, limit = org().api_usage()
    return respond({"DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)}})


@bp.get(f"{DATA}/sobjects", strict_slashes=False)
def global_describe(v: str) -> Response:
    sobjects = org().global_describe()
    for entry in sobjects:
        entry["urls"] = {"sobject": f"/services/data/{v}/sobjects/{entry['name']}"}
    return respond({"encoding": "UTF-8", "maxBatchSize": MAX_COLLECTION_RECORDS, "sobjects": sobjects})


@bp.get(f"{DATA}/sobjects/<sobject_type>", strict_slashes=False)
def sobject_basic_info(v: str, sobject_type: str) -> Response:
    described = org().describe(sobject_type)
    described.pop("fields")
    return respond({"objectDescribe": described, "recentItems": []})


@bp.get(f"{DATA}/sobjects/<sobject_type>/describe", strict_slashes=False)
def describe(v: str, sobject_type: str) -> Response:
    return respond(org().describe(sobject_type))


# ---- single records ---------------------------------------------------------------------------


def record_json(record: SfRecord, v: str, fields: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"attributes": {"type": record.sobject, "url": _record_url(record, v)}}
    if not fields:
        return body | record.values
    for name in fields:
        definition = org().field(record.sobject, name)
        if definition is None:
            raise SalesforceApiError(
                400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {record.sobject}", [name]
            )
        body[definition["name"]] = record.values.get(definition["name"])
    return body


def _record_url(record: SfRecord, v: str) -> str:
    return f"/services/data/{v}/sobjects/{record.sobject}/{record.id}"


def _fields_arg() -> list[str]:
    return [name.strip() for name in request.args.get("fields", "").split(",") if name.strip()]


@bp.post(f"{DATA}/sobjects/<sobject_type>", strict_slashes=False)
def create_record(v: str, sobject_type: str) -> Response:
    sobject = org().require_sobject(sobject_type)
    record = org().create(sobject, json_object())
    return respond({"id": record.id, "success": True, "errors": []}, 201)


@bp.route(f"{DATA}/sobjects/<sobject_type>/<record_id>", methods=["GET", "PATCH", "DELETE"], strict_slashes=False)
def record_route(v: str, sobject_type: str, record_id: str) -> Response:
    sobject = org().require_sobject(sobject_type)
    with org().lock:
        record = org().get(sobject, record_id)
        if request.method == "GET":
            return respond(record_json(record, v, _fields_arg()))
        if request.method == "PATCH":
            org().update(record, json_object())
        else:
            org().delete(record)
    return Response(status=204)


@bp.route(f"{DATA}/sobjects/<sobject_type>/<ext_field>/<path:ext_value>", methods=["GET", "PATCH"])
def external_id_route(v: str, sobject_type: str, ext_field: str, ext_value: str) -> Response:
    """GET or upsert by an external id field: 201 created, 204 updated, 300 when several records match."""
    sobject = org().require_sobject(sobject_type)
    if request.method == "GET":
        _, found = org().by_external_id(sobject, ext_field, ext_value)
        if len(found) > 1:
            raise MultipleMatches(sobject, [record.id for record in found])
        if not found:
            raise SalesforceApiError(404, "NOT_FOUND", _NOT_FOUND)
        return respond(record_json(found[0], v, _fields_arg()))
    record, created = org().upsert(sobject, ext_field, ext_value, json_object())
    if created:
        return respond({"id": record.id, "success": True, "errors": [], "created": True}, 201)
    return Response(status=204)


# ---- SOQL -------------------------------------------------------------------------------------


def _page(v: str, kind: str, total: int, records: list[dict[str, Any]], extra: dict[str, Any]) -> Response:
    size = org().settings.page_size
    body: dict[str, Any] = {"totalSize": total, "done": len(records) <= size}
    if len(records) > size:
        cursor = org().open_cursor(records)
        body["nextRecordsUrl"] = f"/services/data/{v}/{kind}/{cursor}-{size}"
    return respond(extra | body | {"records": records[:size]})


@bp.get(f"{DATA}/query", strict_slashes=False)
@bp.get(f"{DATA}/queryAll", strict_slashes=False)
def query(v: str) -> Response:
    text = request.args.get("q", "")
    if not text.strip():
        raise SalesforceApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    include_deleted = request.path.rstrip("/").endswith("queryAll")
    total, records = org().query(text, include_deleted=include_deleted, version=_version(v))
    return _page(v, "queryAll" if include_deleted else "query", total, records, {})


@bp.get(f"{DATA}/query/<locator>")
@bp.get(f"{DATA}/queryAll/<locator>")
def query_more(v: str, locator: str) -> Response:
    cursor_id, _, offset_text = locator.rpartition("-")
    if not cursor_id or not offset_text.isdigit():
        raise SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    cursor, offset = org().cursor_page(cursor_id), int(offset_text)
    end = offset + cursor.page_size
    body: dict[str, Any] = {"totalSize": len(cursor.records), "done": end >= len(cursor.records)}
    if end < len(cursor.records):
        kind = "queryAll" if "/queryAll/" in request.path else "query"
        body["nextRecordsUrl"] = f"/services/data/{v}/{kind}/{cursor_id}-{end}"
    return respond(body | {"records": cursor.records[offset:end]})


# ---- sObject Collections ----------------------------------------------------------------------


def _collection_size(count: int) -> None:
    if count > MAX_COLLECTION_RECORDS:
        raise SalesforceApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_COLLECTION_RECORDS} records into this call "
            f"(got {count})",
        )


@bp.route(f"{DATA}/composite/sobjects", methods=["POST", "PATCH"], strict_slashes=False)
def collection_save(v: str) -> Response:
    body = json_object()
    records = body.get("records")
    if not isinstance(records, list) or not records:
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "records must be a non-empty list of sObjects")
    _collection_size(len(records))
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "allOrNone must be true or false")
    return respond(org().save_collection(records, all_or_none, creating=request.method == "POST"))


@bp.delete(f"{DATA}/composite/sobjects", strict_slashes=False)
def collection_delete(v: str) -> Response:
    ids = [part.strip() for part in request.args.get("ids", "").split(",") if part.strip()]
    if not ids:
        raise SalesforceApiError(400, "MISSING_ARGUMENT", "ids: the list of record ids to delete is required")
    _collection_size(len(ids))
    all_or_none = request.args.get("allOrNone", "false").lower() == "true"
    return respond(org().delete_collection(ids, all_or_none))


@bp.get(f"{DATA}/composite/sobjects/<sobject_type>", strict_slashes=False)
def collection_retrieve(v: str, sobject_type: str) -> Response:
    sobject = org().require_sobject(sobject_type)
    ids = [part.strip() for part in request.args.get("ids", "").split(",") if part.strip()]
    _collection_size(len(ids))
    fields = _fields_arg()
    if not ids or not fields:
        raise SalesforceApiError(400, "MISSING_ARGUMENT", "ids and fields are both required")
    found = []
    with org().lock:
        for record_id in ids:
            record = org().find(record_id)
            live = record is not None and record.sobject == sobject and not record.deleted
            found.append(record_json(record, v, fields) if live and record is not None else None)
    return respond(found)


# ---- Tooling API ------------------------------------------------------------------------------


@bp.post(f"{DATA}/tooling/sobjects/<tooling_type>", strict_slashes=False)
def tooling_create(v: str, tooling_type: str) -> Response:
    org().require_sobject(tooling_type, tooling=True)
    record = org().create_custom_field(json_object())
    return respond({"id": record.id, "success": True, "errors": [], "warnings": [], "infos": []}, 201)


@bp.route(
    f"{DATA}/tooling/sobjects/<tooling_type>/<record_id>", methods=["GET", "PATCH", "DELETE"], strict_slashes=False
)
def tooling_record(v: str, tooling_type: str, record_id: str) -> Response:
    org().require_sobject(tooling_type, tooling=True)
    if request.method == "PATCH":
        org().update_custom_field(record_id, json_object())
        return Response(status=204)
    if request.method == "DELETE":
        org().delete_custom_field(record_id)
        return Response(status=204)
    record = org().get_custom_field(record_id)
    url = f"/services/data/{v}/tooling/sobjects/CustomField/{record.id}"
    return respond({"attributes": {"type": "CustomField", "url": url}} | record.values)


@bp.get(f"{DATA}/tooling/query", strict_slashes=False)
def tooling_query(v: str) -> Response:
    text = request.args.get("q", "")
    if not text.strip():
        raise SalesforceApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    total, records = org().query(text, tooling=True, version=_version(v))
    extra = {"size": total, "entityTypeName": "CustomField", "queryLocator": None}
    return _page(v, "tooling/query", total, records, extra)


# ---- Sales Engagement actions -----------------------------------------------------------------


@bp.post(f"{DATA}/actions/standard/<action_type>", strict_slashes=False)
def standard_action(v: str, action_type: str) -> Response:
    """Cadence actions, one result per input; 400 when every input failed, as Salesforce answers."""
    handlers = {
        "assignTargetToSalesCadence": org().assign_to_cadence,
        "removeTargetFromSalesCadence": org().remove_from_cadence,
    }
    if action_type not in handlers or not org().settings.sales_engagement:
        raise SalesforceApiError(404, "NOT_FOUND", _NOT_FOUND)
    inputs = json_object().get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(item, dict) for item in inputs):
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "inputs must be a non-empty list of objects")
    results = []
    for item in inputs:
        result: dict[str, Any] = {"actionName": action_type, "errors": None, "isSuccess": True, "outputValues": None}
        try:
            handlers[action_type](item)
        except SalesforceApiError as exc:
            result |= {"errors": [exc.record_error()], "isSuccess": False}
        results.append(result)
    return respond(results, 200 if any(r["isSuccess"] for r in results) else 400)


# ---- control API (/_sandbox/salesforce, the sandbox token; never metered or faulted) ----------


@control_bp.get("/state")
def control_state() -> Response:
    return respond(org().dump(request.args.get("object") or None))


@control_bp.post("/seed")
def control_seed() -> Response:
    return respond(org().seed(json_object()), 201)


@control_bp.get("/settings")
@control_bp.post("/settings")
def control_settings() -> Response:
    """`{page_size?, daily_limit?, session_ttl_seconds?, sales_engagement?, username?, password?, ...}`."""
    changes = json_object() if request.method == "POST" else {}
    return respond(org().configure(**changes))


@control_bp.post("/expire_sessions")
def control_expire_sessions() -> Response:
    org().expire_sessions()
    return respond({"expired": True})


@control_bp.post("/reset")
def control_reset() -> Response:
    org().reset()
    return respond({"status": "reset"})


@control_bp.post("/cadence_trackers/<tracker_id>/finish")
def control_finish_tracker(tracker_id: str) -> Response:
    """`{reason?: NoMoreSteps, disposition?: "Customer Engaged", state?: Complete}`: end a cadence for a target."""
    body = json_payload() or {}
    options = {key: body[key] for key in ("reason", "disposition", "state") if key in body}
    record = org().finish_tracker(tracker_id, **options)
    return respond(record.values)
