"""Segment-spec validation: required fields, ids, and event time with clock-skew correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.errors import InputError
from connector.ingest.segment import derived_message_id, parse_call

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def parse(raw, **kwargs):  # type: ignore[no-untyped-def]
    return parse_call(raw, received_at=NOW, max_future=timedelta(minutes=5), **kwargs)


def test_a_track_call_keeps_its_payload_and_takes_the_account_from_context_group_id():
    call = parse(
        {
            "type": "track",
            "userId": "u1",
            "event": "Signed Up",
            "context": {"groupId": "acct"},
            "messageId": "m1",
            "writeKey": "secret",
        }
    )
    assert (call.type, call.user_id, call.account_id, call.event, call.message_id) == (
        "track",
        "u1",
        "acct",
        "Signed Up",
        "m1",
    )
    assert "writeKey" not in call.payload, "credentials are never stored"
    assert call.timestamp == NOW, "no timestamp means now"


def test_numeric_ids_become_strings_and_blank_ids_count_as_missing():
    call = parse({"type": "group", "userId": 42, "groupId": 7.0, "anonymousId": ""})
    assert (call.user_id, call.account_id, call.anonymous_id) == ("42", "7", None)
    with pytest.raises(InputError, match="userId or anonymousId"):
        parse({"type": "identify", "userId": "  ", "anonymousId": None})


def test_a_timestamp_without_sent_at_is_used_as_is_and_naive_times_are_utc():
    call = parse({"type": "track", "userId": "u", "event": "e", "timestamp": "2026-01-02T03:04:05"})
    assert call.timestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_sent_at_corrects_a_client_clock_that_runs_fast():
    client_clock_ahead = timedelta(hours=3)
    sent = NOW + client_clock_ahead
    call = parse(
        {"type": "track", "userId": "u", "event": "e", "timestamp": (sent - timedelta(seconds=30)).isoformat()},
        batch_sent_at=sent,
    )
    assert call.timestamp == NOW - timedelta(seconds=30)


def test_a_message_that_already_went_through_segment_keeps_its_timestamp():
    call = parse(
        {
            "type": "track",
            "userId": "u",
            "event": "e",
            "timestamp": "2024-05-01T00:00:00Z",
            "sentAt": "2024-05-03T00:00:00Z",
            "receivedAt": "2024-05-03T00:00:01Z",
        }
    )
    assert call.timestamp == datetime(2024, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"type": "track", "userId": "u"}, "invalid_field"),
        ({"type": "group", "userId": "u"}, "invalid_field"),
        ({"type": "alias", "userId": "u"}, "invalid_field"),
        (
            {"type": "track", "userId": "u", "event": "e", "timestamp": "2030-01-01T00:00:00Z"},
            "timestamp_in_future",
        ),
        (
            {"type": "track", "userId": "u", "event": "e", "timestamp": "1970-01-01T00:00:00Z"},
            "timestamp_out_of_range",
        ),
        ({"type": "track", "userId": "u", "event": "e", "timestamp": "soon"}, "invalid_field"),
        ({"type": "track", "userId": "x" * 256, "event": "e"}, "invalid_field"),
        ({"type": "track", "userId": True, "event": "e"}, "invalid_field"),
        (
            {"type": "track", "userId": "u", "event": "e", "context": {"groupId": {"nested": 1}}},
            "invalid_field",
        ),
        ({"type": "track", "userId": "u", "event": "e", "properties": [1, 2]}, "invalid_field"),
        ({"type": "jump", "userId": "u"}, "invalid_type"),
        ([], "invalid_message"),
    ],
)
def test_invalid_messages_are_refused_with_a_code_and_the_field(raw, code):
    with pytest.raises(InputError) as error:
        parse(raw)
    assert error.value.code == code


def test_a_single_call_endpoint_refuses_a_mismatched_type():
    with pytest.raises(InputError, match="this endpoint takes 'track'"):
        parse({"type": "identify", "userId": "u"}, implied_type="track")


def test_batch_context_fills_in_what_a_message_lacks():
    call = parse(
        {"type": "track", "userId": "u", "event": "e", "context": {"ip": "1.2.3.4"}},
        batch_context={"groupId": "acct", "ip": "9.9.9.9"},
    )
    assert call.account_id == "acct"
    assert call.payload["context"] == {"groupId": "acct", "ip": "1.2.3.4"}


def test_a_message_without_message_id_gets_a_stable_derived_one():
    raw = {"type": "track", "userId": "u", "event": "e", "timestamp": "2026-01-01T00:00:00Z"}
    first = parse(raw, batch_sent_at=NOW)
    again = parse(raw, batch_sent_at=NOW + timedelta(seconds=9))
    assert first.message_id == again.message_id, "a retried delivery without messageId still dedupes"
    assert first.message_id == derived_message_id({**raw, "sentAt": "ignored"})
