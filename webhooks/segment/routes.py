"""The Segment tracking API (`/v1/track`, `/v1/identify`, `/v1/group`, `/v1/page`, `/v1/batch`, ...).

Authenticated by a write key: HTTP Basic user name (empty password), or `writeKey` in the body,
as the Segment HTTP API allows. Any Segment-spec SDK pointed at this host works unchanged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from connector.errors import AuthenticationError, InputError
from connector.events import SegmentCall
from connector.ingest.product_events import store_calls
from connector.ingest.segment import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_EVENT_BYTES,
    batch_sent_at,
    parse_call,
)
from connector.ingest.traits import account_fields
from connector.jobs.runtime import Runtime
from connector.telemetry.metrics import metrics
from webhooks.body import JsonBody, read_json

log = logging.getLogger(__name__)
bp = Blueprint("segment", __name__, url_prefix="/v1")


def _basic_auth_user() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationError("invalid_authorization", "the Basic credentials are not valid base64") from None
    return decoded.partition(":")[0]


def _check_write_key(rt: Runtime, key: str | None) -> None:
    keys = rt.settings.write_key_list()
    if not keys:
        log.warning("refused a tracking call: HEALTHLOOP_WRITE_KEYS is not set (fail closed)")
        raise AuthenticationError(
            "source_not_configured",
            "HEALTHLOOP_WRITE_KEYS is not set on this server, so tracking calls are refused",
        )
    if not key:
        raise AuthenticationError(
            "missing_write_key", "send the write key as the HTTP Basic user name (or as writeKey in the body)"
        )
    # Compare against every key so the time taken does not reveal which one nearly matched.
    if not any([hmac.compare_digest(key.encode(), candidate.encode()) for candidate in keys]):
        raise AuthenticationError("invalid_write_key", "unknown write key")


def _authenticate(rt: Runtime, limit: int) -> JsonBody:
    header_key = _basic_auth_user()
    if header_key:
        _check_write_key(rt, header_key)
    body = read_json(request, limit)
    if not isinstance(body.data, dict):
        raise InputError("invalid_json", "the body must be a JSON object")
    if not header_key:
        body_key = body.data.get("writeKey")
        _check_write_key(rt, body_key if isinstance(body_key, str) else None)
    return body


def _validate(rt: Runtime, raw: Any, now: datetime, **kwargs: Any) -> SegmentCall:
    call = parse_call(raw, received_at=now, max_future=timedelta(seconds=rt.settings.max_future_seconds), **kwargs)
    if call.type == "group":
        account_fields(call.traits, rt.config.account_traits)  # refuse wrongly typed traits before storing
    return call


def _store(rt: Runtime, calls: list[SegmentCall], now: datetime) -> tuple[int, int]:
    if not calls:
        return 0, 0
    with rt.sessions.begin() as session:
        result = store_calls(session, calls, rt.config, now, rt.known)
    rt.known.remember(result)
    rt.queue.request_rescore(result.accounts)
    events = metrics().events
    events.labels("stored", "none").inc(result.stored)
    events.labels("duplicate", "none").inc(result.duplicates)
    return result.stored, result.duplicates


@bp.post("/<any(track, identify, group, page, screen, alias):call_type>")
def single_call(call_type: str) -> ResponseReturnValue:
    rt: Runtime = current_app.extensions["healthloop"]
    body = _authenticate(rt, MAX_EVENT_BYTES)
    now = datetime.now(UTC)
    call = _validate(rt, body.data, now, implied_type=call_type, check_nul=body.may_hold_nul)
    stored, duplicates = _store(rt, [call], now)
    return jsonify(success=True, stored=stored, duplicates=duplicates)


@bp.post("/batch")
def batch() -> ResponseReturnValue:
    rt: Runtime = current_app.extensions["healthloop"]
    body = _authenticate(rt, MAX_BATCH_BYTES)
    items = body.data.get("batch")
    if not isinstance(items, list):
        raise InputError("invalid_field", "batch: required, a list of messages")
    now = datetime.now(UTC)
    sent_at = batch_sent_at(body.data)
    context = body.data.get("context") if isinstance(body.data.get("context"), dict) else None
    calls: list[SegmentCall] = []
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            if index >= MAX_BATCH_EVENTS:
                raise InputError("batch_too_long", f"a batch holds at most {MAX_BATCH_EVENTS} messages")
            if body.size > MAX_EVENT_BYTES and len(orjson.dumps(item)) > MAX_EVENT_BYTES:
                raise InputError("payload_too_large", f"the message is larger than {MAX_EVENT_BYTES // 1024} KB")
            calls.append(
                _validate(rt, item, now, batch_sent_at=sent_at, batch_context=context, check_nul=body.may_hold_nul)
            )
        except InputError as exc:
            rejected.append({"index": index, "error": exc.code, "detail": exc.detail})
            metrics().events.labels("rejected", exc.code).inc()
    if items and not calls:
        return jsonify(
            error="invalid_batch",
            detail=f"all {len(items)} message(s) were rejected; see `rejected`",
            code="invalid_batch",
            message=f"all {len(items)} message(s) were rejected",
            rejected=rejected,
        ), 400
    stored, duplicates = _store(rt, calls, now)
    if rejected:
        log.info("batch: %d stored, %d rejected (first: %s)", stored, len(rejected), rejected[0]["detail"])
    return jsonify(success=True, stored=stored, duplicates=duplicates, rejected=rejected)
