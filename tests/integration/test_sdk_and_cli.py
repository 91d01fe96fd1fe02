"""The official Segment Python SDK against the real server over HTTP, then the `healthloop` CLI."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from segment.analytics import Client
from sqlalchemy import func, select

from connector.cli.main import cli
from connector.store.db import head_revision
from connector.store.models import Event
from tests.conftest import WRITE_KEY

pytestmark = pytest.mark.integration


def _send_with_sdk(base_url: str, gzip_body: bool) -> list[str]:
    errors: list[str] = []
    client = Client(
        WRITE_KEY,
        host=base_url,
        gzip=gzip_body,
        upload_size=50,
        max_retries=2,
        on_error=lambda exc, batch: errors.append(str(exc)),
    )
    client.identify("u_42", {"email": "ana@acme.com", "name": "Ana"})
    client.group("u_42", "acct_42", {"name": "Acme", "plan": "pro", "seats": 12, "renewal_date": "2027-02-01"})
    for index in range(120):
        client.track(
            "u_42",
            "Report Exported",
            {"format": "csv", "n": index},
            context={"groupId": "acct_42"},
            timestamp=datetime.now(UTC) - timedelta(days=index % 3),
            message_id=f"sdk-{index}",
        )
    client.page("u_42", name="Dashboard", context={"groupId": "acct_42"}, message_id="sdk-page")
    client.shutdown()
    return errors


@pytest.mark.parametrize("gzip_body", [False, True], ids=["plain", "gzip"])
def test_segment_python_sdk_delivers_track_identify_group_exactly_once(live_server, runtime, database_url, gzip_body):
    assert _send_with_sdk(live_server, gzip_body) == []
    assert _send_with_sdk(live_server, gzip_body) == [], "a second delivery of the same message ids is accepted"
    with runtime.sessions() as session:
        tracked = session.scalar(select(func.count()).where(Event.type == "track"))
        total = session.scalar(select(func.count()).select_from(Event))
    assert tracked == 120, "message ids given to the SDK dedupe across deliveries"
    assert total >= 122

    result = CliRunner().invoke(
        cli, ["accounts", "show", "acct_42", "--json"], env={"HEALTHLOOP_DATABASE_URL": database_url}
    )
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.output)
    assert shown["account_id"] == "acct_42"
    assert shown["traits"] == {"name": "Acme", "plan": "pro", "seats": 12, "renewal_date": "2027-02-01"}
    assert shown["users"] == ["u_42"]
    assert shown["event_count"] == total
    assert datetime.fromisoformat(shown["last_event_at"]) > datetime.now(UTC) - timedelta(minutes=5)
    assert shown["licensed_seats"] == 12


def test_accounts_show_explains_an_unknown_account(database_url):
    result = CliRunner().invoke(cli, ["accounts", "show", "nope"], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert result.exit_code == 1
    assert "no account 'nope'" in result.output


def test_accounts_show_and_list_print_tables(client, auth_headers, database_url):
    client.post("/v1/group", headers=auth_headers, json={"userId": "u1", "groupId": "acct_t", "traits": {"name": "T"}})
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    shown = CliRunner().invoke(cli, ["accounts", "show", "acct_t"], env=env)
    assert shown.exit_code == 0 and "acct_t" in shown.output and "u1" in shown.output
    listed = CliRunner().invoke(cli, ["accounts", "list", "--json"], env=env)
    assert [row["account_id"] for row in orjson.loads(listed.output)] == ["acct_t"]


def _jsonl(path: Path, rows: list[object], compress: bool = False) -> Path:
    data = b"\n".join(row if isinstance(row, bytes) else orjson.dumps(row) for row in rows) + b"\n"
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["jsonl", "jsonl.gz"])
def test_import_backfills_history_idempotently_and_reports_bad_lines(
    tmp_path, database_url, redis_url, runtime, compress
):
    rows: list[object] = [
        {
            "type": "group",
            "userId": "u1",
            "groupId": "acct_old",
            "traits": {"name": "Old Co", "seats": 3},
            "messageId": "w-g",
            "timestamp": "2025-03-01T10:00:00Z",
            "receivedAt": "2025-03-01T10:00:01Z",
        },
    ]
    rows += [
        {
            "type": "track",
            "userId": "u1",
            "event": "Logged In",
            "messageId": f"w-{i}",
            "timestamp": f"2025-03-{1 + i % 28:02d}T10:00:00Z",
            "receivedAt": "2025-04-01T00:00:00Z",
            "sentAt": "2025-04-01T00:00:00Z",
            "context": {"groupId": "acct_old"},
        }
        for i in range(2500)
    ]
    rows += [b"{not json", {"type": "track", "userId": "u1"}]
    source = _jsonl(tmp_path / "export.jsonl", rows, compress)
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": redis_url}
    first = CliRunner().invoke(cli, ["import", str(source), "--no-progress", "--batch-size", "700"], env=env)
    assert first.exit_code == 0, first.output
    assert "2503 line(s): 2501 stored, 0 already stored, 2 rejected" in first.output
    assert "line 2502: invalid_json" in first.output
    assert "line 2503: invalid_field: event" in first.output
    again = CliRunner().invoke(cli, ["import", str(source), "--no-progress"], env=env)
    assert "0 stored, 2501 already stored" in again.output
    with runtime.sessions() as session:
        first_day = session.scalar(select(func.min(Event.timestamp)).where(Event.account_id == "acct_old"))
    assert first_day == datetime(2025, 3, 1, 10, tzinfo=UTC), "exported events keep their original time"


def test_db_upgrade_is_safe_to_run_twice_and_reports_the_revision(tmp_path):
    env = {"HEALTHLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    first = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    second = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    assert first.exit_code == 0 and f"empty -> {head_revision()}" in first.output
    assert second.exit_code == 0 and f"{head_revision()} -> {head_revision()}" in second.output
    current = CliRunner().invoke(cli, ["db", "current"], env=env)
    assert "up to date" in current.output


def test_a_bad_setting_stops_the_cli_naming_the_variable():
    result = CliRunner().invoke(cli, ["status"], env={"HEALTHLOOP_DATABASE_URL": "mysql://x/y"})
    assert result.exit_code == 2
    assert "HEALTHLOOP_DATABASE_URL: only sqlite:// and postgresql:// URLs are supported" in result.output


def test_status_reports_volumes_and_backlog(client, auth_headers, database_url):
    client.post("/v1/track", headers=auth_headers, json={"userId": "u1", "event": "X", "context": {"groupId": "a"}})
    result = CliRunner().invoke(cli, ["status", "--json"], env={"HEALTHLOOP_DATABASE_URL": database_url})
    data = orjson.loads(result.output)
    assert (data["events"], data["accounts"], data["outbox"]["account_days"]) == (1, 1, 1)
    assert data["schema"]["current"] == data["schema"]["latest"]
