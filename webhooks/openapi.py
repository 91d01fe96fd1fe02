"""The OpenAPI 3.1 document of the HTTP API, served at `/openapi.json`.

Written here by hand (the routes are few and their contracts are the Segment spec and the vendors'
webhooks); `tests/integration/test_openapi.py` keeps it true: every route of the app is documented
and every documented operation exists, and a property-based fuzz run checks every answer against it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from connector.ingest.segment import MAX_BATCH_EVENTS
from webhooks.registry import SOURCES

SEGMENT_CALLS = ("track", "identify", "group", "page", "screen", "alias")

_ERROR = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "machine-readable code"},
        "detail": {"type": "string", "description": "what is wrong and how to fix it"},
        "code": {"type": "string", "description": "the same code (Segment SDKs log it)"},
        "message": {"type": "string", "description": "the same detail (Segment SDKs log it)"},
        "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/Rejected"}},
    },
}
_REJECTED = {
    "type": "object",
    "required": ["index", "error", "detail"],
    "properties": {"index": {"type": "integer"}, "error": {"type": "string"}, "detail": {"type": "string"}},
}
_ID = {"type": ["string", "number", "null"]}
_TIME = {"type": ["string", "null"], "description": "ISO-8601 date-time between 1900 and 2999"}
_MESSAGE = {
    "type": "object",
    "description": "A Segment-spec message (https://segment.com/docs/connections/spec/); unknown keys are kept.",
    "properties": {
        "type": {"type": "string", "enum": list(SEGMENT_CALLS)},
        "userId": _ID,
        "anonymousId": _ID,
        "messageId": _ID,
        "groupId": _ID,
        "previousId": _ID,
        "event": {"type": ["string", "null"], "maxLength": 255},
        "name": {"type": ["string", "null"], "maxLength": 255},
        "timestamp": _TIME,
        "originalTimestamp": _TIME,
        "sentAt": _TIME,
        "receivedAt": _TIME,
        "traits": {"type": ["object", "null"]},
        "properties": {"type": ["object", "null"]},
        "context": {"type": ["object", "null"]},
        "writeKey": {"type": "string"},
    },
}
_STORED = {
    "type": "object",
    "required": ["success", "stored", "duplicates"],
    "properties": {
        "success": {"const": True},
        "stored": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/Rejected"}},
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "Bad input; the body names the field and the fix",
        401: "Missing or wrong credentials or signature",
        404: "Unknown route or object",
        405: "Method not allowed",
        413: "Body too large",
        415: "Not JSON, or an unsupported Content-Encoding",
        503: "Storage unavailable or not set up; retry after `Retry-After` seconds",
    }
    answers = {
        str(status): {"description": reasons[status]} | _json({"$ref": "#/components/schemas/Error"})
        for status in statuses
    }
    if "503" in answers:
        answers["503"]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return answers


_INGEST_ERRORS = (400, 401, 413, 415, 503)


def _segment_operation(call: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"segment_{call}",
            "summary": f"Segment `{call}` call",
            "security": [{"writeKey": []}, {}],
            "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/Message"})},
            "responses": {"200": {"description": "Stored (or a duplicate)"} | _json(_STORED)}
            | _errors(*_INGEST_ERRORS),
        }
    }


def _webhook_operation() -> dict[str, Any]:
    return {
        "post": {
            "operationId": "ticket_webhook",
            "summary": "A support tool's signed ticket webhook (see docs/webhook-sources.md for each signature)",
            "parameters": [
                {
                    "name": "source_name",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": sorted(SOURCES)},
                }
            ],
            "requestBody": {"required": True, **_json({})},
            "responses": {
                "200": {"description": "Stored"}
                | _json(
                    {
                        "type": "object",
                        "required": ["status", "stored", "duplicates"],
                        "properties": {
                            "status": {"const": "ok"},
                            "stored": {"type": "integer"},
                            "duplicates": {"type": "integer"},
                        },
                    }
                )
            }
            | _errors(400, 401, 404, 413, 415, 503),
        }
    }


def _get(
    operation_id: str, summary: str, content: dict[str, Any], *errors: int, secured: bool = False
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "responses": {"200": {"description": "OK"} | content} | _errors(*errors),
    }
    if secured:
        operation["security"] = [{"adminToken": []}]
    return {"get": operation}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    paths: dict[str, Any] = {f"/v1/{call}": _segment_operation(call) for call in SEGMENT_CALLS}
    paths["/v1/batch"] = {
        "post": {
            "operationId": "segment_batch",
            "summary": f"Up to {MAX_BATCH_EVENTS} Segment messages; bad ones are rejected by index, good ones stored",
            "security": [{"writeKey": []}, {}],
            "requestBody": {
                "required": True,
                **_json(
                    {
                        "type": "object",
                        "required": ["batch"],
                        "properties": {
                            "batch": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                            "context": {"type": "object"},
                            "sentAt": _TIME,
                            "writeKey": {"type": "string"},
                        },
                    }
                ),
            },
            "responses": {"200": {"description": "Stored; `rejected` lists bad messages"} | _json(_STORED)}
            | _errors(*_INGEST_ERRORS),
        }
    }
    paths["/webhooks/{source_name}"] = _webhook_operation()
    paths["/api/accounts/{account_id}"] = _get(
        "account_summary",
        "An account's health (what `healthloop accounts show --json` prints)",
        _json({"type": "object"}),
        400,
        401,
        404,
        503,
        secured=True,
    ) | {"parameters": [{"name": "account_id", "in": "path", "required": True, "schema": {"type": "string"}}]}
    paths["/healthz"] = _get("healthz", "Liveness: answers without touching anything", _json({"type": "object"}))
    readiness = _json({"type": "object", "required": ["status", "checks"]})
    paths["/readyz"] = {
        "get": {
            "operationId": "readyz",
            "summary": "Readiness: database reachable and schema at the latest migration; Redis down is `degraded`",
            "responses": {
                "200": {"description": "Ready or degraded"} | readiness,
                "503": {"description": "Not ready"} | readiness,
            },
        }
    }
    paths["/metrics"] = _get(
        "metrics",
        "Prometheus metrics (text exposition format)",
        {"content": {"text/plain": {"schema": {"type": "string"}}}},
        401,
        secured=True,
    )
    paths["/openapi.json"] = _get("openapi", "This document", _json({"type": "object"}))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "healthloop",
            "version": "1",
            "description": "Segment-compatible tracking API, signed ticket webhooks, the admin API and operations "
            "routes. Every error answers JSON `{error, detail}`.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": _ERROR, "Rejected": _REJECTED, "Message": _MESSAGE},
            "securitySchemes": {
                "writeKey": {"type": "http", "scheme": "basic", "description": "Segment write key as the user name"},
                "adminToken": {"type": "http", "scheme": "bearer", "description": "HEALTHLOOP_ADMIN_TOKEN"},
            },
        },
    }
