"""`/openapi.json` is true to the app, and property-based fuzzing against it finds no 5xx, no HTML, no hang.

Two generators, bounded so the module runs in well under a minute on PostgreSQL (the strictest store):
schemathesis draws requests from the document (valid shapes, authenticated or not, webhook bodies
signed as the vendor would sign them), and hypothesis throws arbitrary JSON, headers and paths at
every route. Every answer must be below 500, JSON with `error` and `detail` when it is an error, and
come back within 5 seconds.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from redis import Redis
from schemathesis.core import NotSet

from connector.config.settings import Settings
from connector.config.yaml_config import Config
from connector.jobs.runtime import Runtime, install
from connector.jobs.work_queue import RedisWorkQueue
from connector.store.db import make_engine, make_sessionmaker
from tests.conftest import REDIS_BASE_URL, SECRETS, WRITE_KEY, _worker_index
from webhooks.openapi import SEGMENT_CALLS, openapi_document
from webhooks.registry import SOURCES

pytestmark = pytest.mark.integration

ADMIN_TOKEN = "fuzz-admin-token"
EXAMPLES = int(os.environ.get("HEALTHLOOP_FUZZ_EXAMPLES", "25"))
"""Examples per operation (schemathesis) and per test (hypothesis); raise it for a longer local run."""
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def fuzz_app(postgres_url: str) -> Iterator[Any]:
    from webhooks.app import create_app

    redis = Redis.from_url(f"{REDIS_BASE_URL}/{14 - _worker_index() % 14}")
    redis.flushdb()
    settings = Settings(
        database_url=postgres_url,
        write_keys=WRITE_KEY,
        admin_token=SecretStr(ADMIN_TOKEN),
        **{name: SecretStr(value) for name, value in SECRETS.items()},
    )
    engine = make_engine(postgres_url)
    rt = install(Runtime(settings, Config(), engine, make_sessionmaker(engine), RedisWorkQueue(redis), redis))
    yield create_app(rt)
    install(None)
    redis.flushdb()
    engine.dispose()


def test_every_route_of_the_app_is_documented_and_every_documented_operation_exists(fuzz_app):
    routes: set[tuple[str, str]] = set()
    for rule in fuzz_app.url_map.iter_rules():
        # The console is HTML for people behind a sign-in (its own browser tests), not the HTTP API.
        if rule.endpoint == "static" or rule.endpoint.startswith("console."):
            continue
        paths = [rule.rule]
        if "<any(" in rule.rule:
            paths = [f"/v1/{call}" for call in SEGMENT_CALLS]
        for path in paths:
            documented = path.replace("<", "{").replace(">", "}")
            routes |= {(documented, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    document = {
        (path, method.upper()) for path, operations in openapi_document()["paths"].items() for method in operations
        if method != "parameters"
    }  # fmt: skip
    assert routes == document


def test_the_served_document_is_the_one_the_fuzzing_uses(fuzz_app):
    response = fuzz_app.test_client().get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == json.loads(json.dumps(openapi_document()))


def _authorization(path: str, mode: int) -> dict[str, str]:
    """mode 0: as generated; 1: the right credential for the route; 2: a wrong one."""
    if mode == 0:
        return {}
    if path.startswith("/v1/"):
        key = WRITE_KEY if mode == 1 else "wrong-key"
        return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    token = ADMIN_TOKEN if mode == 1 else "wrong-token"
    return {"Authorization": f"Bearer {token}"}


def check_answer(response: Any, elapsed: float, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.get_data(as_text=True)[:500])
    assert elapsed < 5, (what, f"{elapsed:.1f} s")
    if response.request.path == "/metrics" and response.status_code == 200:
        assert response.mimetype == "text/plain"
        return
    assert response.mimetype == "application/json", (what, response.mimetype)
    body = response.get_json()
    if response.status_code >= 400:
        assert body["error"] and body["detail"], (what, body)


def _send(client: Any, method: str, path: str, *, headers: dict[str, str], body: bytes | None, query: Any) -> Any:
    started = time.monotonic()
    response = client.open(path, method=method, headers=headers, data=body, query_string=query)
    check_answer(response, time.monotonic() - started, f"{method} {path}")
    return response


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_requests_drawn_from_the_document_never_answer_5xx_html_or_hang(case, fuzz_app):
    client = fuzz_app.test_client()
    path = case.formatted_path
    if isinstance(case.body, NotSet):
        body = None
    else:
        body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    for mode in (0, 1, 2):
        headers = {str(k): str(v) for k, v in (case.headers or {}).items()} | _authorization(path, mode)
        if body is not None:
            headers.setdefault("Content-Type", case.media_type or "application/json")
        if path.startswith("/webhooks/") and mode == 1 and body is not None:
            name = path.rsplit("/", 1)[-1]
            if name in SOURCES:
                source = SOURCES[name]
                secret = SECRETS[source.secret_setting]
                headers |= source.sign(body, secret, f"http://localhost{path}", datetime.now(UTC))
        _send(client, case.method, path, headers=headers, body=body, query=case.query)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
MESSAGE_KEYS = ["type", "userId", "anonymousId", "messageId", "groupId", "event", "timestamp", "sentAt",
                "originalTimestamp", "receivedAt", "traits", "context", "properties", "previousId", "name"]  # fmt: skip
TRAIT_KEYS = ["renewal_date", "created_at", "seats", "mrr", "plan", "name", "website", "domain"]
ODD_VALUES = (
    JSON
    | st.sampled_from([9223372036854775807, 2**64, -1e308, 1e308, 1e20, "NaN", "Infinity", "0001-01-01T00:00:00Z",
                       "9999-12-31T23:59:59-23:59", "a\u0000b", "\udcff".encode("utf-8", "surrogatepass").decode(
                           "utf-8", "replace"), "", " ", "x" * 300])
)  # fmt: skip
MESSAGES = st.fixed_dictionaries(
    {},
    optional={
        **{key: ODD_VALUES for key in MESSAGE_KEYS},
        "traits": st.dictionaries(st.sampled_from(TRAIT_KEYS), ODD_VALUES, max_size=4),
        "type": st.sampled_from([*SEGMENT_CALLS, "nope"]),
    },
)
PATHS = st.sampled_from(
    [*(f"/v1/{call}" for call in SEGMENT_CALLS), "/v1/batch", *(f"/webhooks/{name}" for name in SOURCES),
     "/webhooks/nope", "/api/accounts/a", "/api/accounts/%00", "/readyz", "/metrics", "/v1/%ff", "/nope"]
)  # fmt: skip
HEADER_VALUES = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40)


@given(
    path=PATHS,
    method=st.sampled_from(["POST", "GET", "PUT"]),
    body=st.one_of(MESSAGES, st.fixed_dictionaries({"batch": st.lists(MESSAGES, max_size=5)}, optional={
        "context": st.dictionaries(st.text(max_size=5), ODD_VALUES, max_size=2), "sentAt": ODD_VALUES}), JSON),
    raw=st.one_of(st.none(), st.binary(max_size=64)),
    headers=st.dictionaries(
        st.sampled_from(["X-HubSpot-Request-Timestamp", "X-HubSpot-Signature-v3", "X-Healthloop-Signature",
                         "X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp", "X-Hub-Signature",
                         "X-Healthloop-Token", "Content-Encoding", "X-Request-ID"]),
        HEADER_VALUES, max_size=3),
    mode=st.integers(0, 2),
)  # fmt: skip
@settings(max_examples=EXAMPLES * 8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_arbitrary_json_headers_and_bytes_on_every_route_never_answer_5xx_html_or_hang(
    fuzz_app, path, method, body, raw, headers, mode
):
    client = fuzz_app.test_client()
    data = raw if raw is not None else json.dumps(body).encode()
    headers = (
        {"Content-Type": "application/json", "X-Request-ID": uuid.uuid4().hex} | headers | _authorization(path, mode)
    )
    if path.startswith("/webhooks/") and mode == 1 and path.rsplit("/", 1)[-1] in SOURCES:
        source = SOURCES[path.rsplit("/", 1)[-1]]
        with contextlib.suppress(UnicodeDecodeError):  # HubSpot's signer only signs text, as HubSpot only sends it
            headers |= source.sign(data, SECRETS[source.secret_setting], f"http://localhost{path}", datetime.now(UTC))
    _send(client, method, path, headers=headers, body=data, query=None)
