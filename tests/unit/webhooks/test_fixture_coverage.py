"""Meta-test (zulip style): every handled event type has a sample payload, and every sample is used."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from connector.config.yaml_config import Config
from webhooks.registry import SOURCES
from webhooks.sources import SignedRequest, load_fixture


def _parse_all(name: str) -> dict[str, set[str]]:
    source = SOURCES[name]
    seen: dict[str, set[str]] = {}
    for path in sorted(source.fixtures.glob("*.json")):
        body = load_fixture(path)
        request = SignedRequest("POST", f"https://hl.example.com/webhooks/{name}", {}, body, datetime.now(UTC))

        records = source.parse(orjson.loads(body), request, Config())
        seen[path.name] = {f"{record.event_type}:{record.outcome.value}" for record in records}
    return seen


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_handled_event_type_has_a_fixture(name):
    handled_seen = {
        entry.rsplit(":", 1)[0]
        for entries in _parse_all(name).values()
        for entry in entries
        if entry.endswith(":handled")
    }
    missing = SOURCES[name].handled - handled_seen
    assert not missing, f"{name}: no fixture exercises {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_fixture_parses_to_records_of_a_declared_type(name):
    source = SOURCES[name]
    declared = source.handled | source.ignored
    for fixture, entries in _parse_all(name).items():
        assert entries or fixture.startswith("empty"), f"{name}/{fixture} produced no records"
        for entry in entries:
            event_type, outcome = entry.rsplit(":", 1)
            assert outcome != "unsupported", f"{name}/{fixture}: sample of an unsupported type {event_type}"
            assert event_type in declared or outcome == "ignored", f"{name}/{fixture}: {event_type} is undeclared"


def test_every_source_has_a_fixture_folder_and_a_secret_variable():
    for name, source in SOURCES.items():
        assert source.fixtures is not None and any(source.fixtures.glob("*.json")), name
        assert source.secret_variable.isupper(), name
