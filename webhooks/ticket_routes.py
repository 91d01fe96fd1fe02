"""`POST /webhooks/<source>`: verify the signature, parse, store the delivery, enqueue the account."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from connector.errors import AuthenticationError, InputError
from connector.ingest.json_text import parse_json_bytes
from connector.ingest.tickets import store_deliveries
from connector.jobs.runtime import Runtime
from connector.telemetry.metrics import metrics
from webhooks.body import read_raw, require_json_content_type
from webhooks.registry import SOURCES
from webhooks.sources import SignedRequest

log = logging.getLogger(__name__)
bp = Blueprint("tickets", __name__)

MAX_WEBHOOK_BYTES = 1024 * 1024


def public_url(rt: Runtime) -> str:
    """The URL the sender signed: HEALTHLOOP_PUBLIC_URL + path when set (behind a proxy)."""
    if rt.settings.public_url:
        query = request.query_string.decode()
        return rt.settings.public_url + request.path + (f"?{query}" if query else "")
    return request.url


@bp.post("/webhooks/<source_name>")
def receive(source_name: str) -> ResponseReturnValue:
    rt: Runtime = current_app.extensions["healthloop"]
    source = SOURCES.get(source_name)
    if source is None:
        raise InputError(
            "unknown_source",
            f"no webhook source {source_name!r}; known: {', '.join(sorted(SOURCES))}",
            status=404,
        )
    secret = getattr(rt.settings, source.secret_setting)
    if secret is None or not secret.get_secret_value():
        log.warning("refused a %s webhook: %s is not set (fail closed)", source_name, source.secret_variable)
        raise AuthenticationError(
            "source_not_configured",
            f"{source.secret_variable} is not set on this server, so {source_name} deliveries are refused",
        )
    require_json_content_type(request)
    now = datetime.now(UTC)
    signed = SignedRequest(request.method, public_url(rt), request.headers, read_raw(request, MAX_WEBHOOK_BYTES), now)
    try:
        source.verify(
            signed, secret.get_secret_value(), now, timedelta(seconds=rt.settings.signature_tolerance_seconds)
        )
    except AuthenticationError as exc:
        log.warning("refused a %s webhook: %s", source_name, exc.detail)
        raise
    payload = parse_json_bytes(signed.body)
    records = source.parse(payload, signed, rt.config)
    for record in records:
        if record.outcome.value == "unsupported":
            log.warning(
                "%s sent event type %r, which healthloop does not handle; stored raw", source_name, record.event_type
            )
    with rt.sessions.begin() as session:
        result = store_deliveries(session, records, rt.config, now)
    rt.queue.request_rescore(result.accounts)
    deliveries = metrics().webhook_deliveries
    for outcome in result.outcomes:
        deliveries.labels(source_name, outcome).inc()
    if result.unmatched:
        deliveries.labels(source_name, "unmatched").inc(result.unmatched)
    if result.refresh and rt.crm_enabled:
        # A task completed or a deal closed in the CRM: read that outcome back now, not at the next hourly pull.
        rt.queue.enqueue_call("connector.jobs.tasks.refresh_outcomes", [list(hint) for hint in result.refresh])
    return jsonify(
        status="ok",
        stored=result.stored,
        duplicates=result.duplicates,
        unmatched=result.unmatched,
        outcomes=result.outcomes,
    )
