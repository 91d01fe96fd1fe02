"""`healthloop report --html`: a self-contained page with real charts and the numbers of a known history."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import orjson
import pytest
from click.testing import CliRunner

from connector.cli.main import cli
from connector.store.models import AccountScore, Alert, Intervention, Renewal, Ticket

pytestmark = pytest.mark.integration


def _intervention(account: str, created: datetime, trigger: str | None, *, control: bool) -> Intervention:
    return Intervention(
        account_id=account, key=f"{created.date()}:{trigger}", trigger_id=trigger,
        trigger_ids=[trigger] if trigger else [], tier="at_risk", action="personalized re-engagement",
        channels=["email"], owner="csm", priority="high", due_at=created, subject="s", body="b", slack_alert=False,
        status="sent", created_at=created, control=control,
        task_completed_at=None if control else created + timedelta(days=2),
    )  # fmt: skip


def _scores(account: str, start: datetime, values: list[int]) -> list[AccountScore]:
    def tier(score: int) -> str:
        return "healthy" if score >= 80 else "monitor" if score >= 60 else "at_risk" if score >= 40 else "critical"

    return [
        AccountScore(
            account_id=account, day=(start + timedelta(days=n)).date(), score=value, tier=tier(value), signals={},
            weights={}, reason="", config_version="test", scored_at=start + timedelta(days=n),
        )
        for n, value in enumerate(values)
    ]  # fmt: skip


def _alert(account: str, trigger: str, day: datetime) -> Alert:
    return Alert(
        account_id=account, trigger_id=trigger, fired_on=day.date(), fired_at=day, evidence={}, explanation="",
        config_version="test",
    )  # fmt: skip


def _ticket(account: str, external_id: str, opened: datetime) -> Ticket:
    return Ticket(
        source="zendesk", external_id=external_id, account_id=account, priority="normal", status="open",
        opened_at=opened, state_at=opened, first_received_at=opened,
    )  # fmt: skip


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")


@pytest.fixture
def history(runtime) -> date:
    """40 days ago: acct_saved (treated, 65 -> 55, back to 72 on day 9 and holds: a save, 1/1), acct_held_back
    (control, 70 -> 50 and stays: 0/1; a ticket 3 days before entering At Risk and one 3 days after the
    intervention; a low_score alert the day before; a lost renewal 30 days in), acct_tier (treated tier entry,
    stays at 45: 0/1). Entries into At Risk: acct_saved proactive (alert 2 days before), acct_held_back reactive,
    acct_tier unsignalled (its first point is already At Risk, so it counts as entering then)."""
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=40)
    before = start - timedelta(days=1)
    with runtime.sessions.begin() as session:
        session.add(_intervention("acct_saved", start, "low_score", control=False))
        session.add(_intervention("acct_held_back", start, "low_score", control=True))
        session.add(_intervention("acct_tier", start, None, control=False))
        session.add_all(_scores("acct_saved", before, [65] + [55] * 9 + [72] * 32))
        session.add_all(_scores("acct_held_back", before, [70] + [50] * 41))
        session.add_all(_scores("acct_tier", before, [45] * 42))
        session.add(_alert("acct_saved", "low_score", start - timedelta(days=2)))
        session.add(_alert("acct_held_back", "low_score", before))
        session.add(_ticket("acct_held_back", "t1", start - timedelta(days=3)))
        session.add(_ticket("acct_held_back", "t2", start + timedelta(days=3)))
        session.add(
            Renewal(
                source="import", external_id="acct_held_back:r", account_id="acct_held_back",
                close_date=(start + timedelta(days=30)).date(), status="lost", updated_at=start,
            )
        )  # fmt: skip
    return start.date()


def test_the_json_report_adds_reactive_and_deflection(history, database_url):
    result = CliRunner().invoke(cli, ["report", "--json"], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert {"as_of", "interventions", "control", "groups"} <= report.keys()
    reactive = report["reactive"]
    assert (reactive["entries"], reactive["reactive"], reactive["proactive"], reactive["unsignalled"]) == (3, 1, 1, 1)
    assert reactive["ratio"] == 1.0 and reactive["reactive_share"]["n"] == 2
    deflection = report["deflection"]
    assert (deflection["treated_accounts"], deflection["control_accounts"]) == (2, 1)
    assert (deflection["treated_tickets"], deflection["control_tickets"]) == (0, 1)
    assert deflection["control_rate"] == 1.0 and deflection["ratio"] == 0.0 and deflection["small_sample"]
    table = CliRunner().invoke(cli, ["report", "--by", "all"], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert table.exit_code == 0, table.output
    assert "reactive vs proactive" in table.output and "ticket deflection" in table.output, table.output


def test_the_html_page_is_self_contained_with_charts_and_numbers(history, database_url, tmp_path):
    out = tmp_path / "out.html"
    result = CliRunner().invoke(cli, ["report", "--html", str(out)], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    assert {"html", "head", "body", "table", "style"} <= set(page.tags)
    charts = [src for src in page.images if src.startswith("data:image/png;base64,")]
    assert len(charts) >= 4  # tiers, save rate, recovery, lead time
    for src in charts:
        assert base64.b64decode(src.removeprefix("data:image/png;base64,")).startswith(b"\x89PNG")
    assert "http://" not in text and "https://" not in text and "<link" not in text and "<script" not in text
    flat = re.sub(r"\s+", " ", text)
    # by trigger: low_score treated 1/1 saved vs control 0/1; tier entry 0/1; all small samples
    assert "low_score" in flat and "tier_entry" in flat
    assert "100% [21%-100%] (n=1, 1/1)" in flat
    assert "0% [0%-79%] (n=1, 0/1)" in flat
    assert "small sample" in flat
    assert "9 (n=1)" in flat  # median days to recovery
    # the lost renewal: low_score fired 31 days before it closed
    assert "31 d (n=1)" in flat or "31 (n=1)" in flat
    assert "Reactive share" in flat and "ticket deflection" in flat and "rate ratio 0.00" in flat


def test_without_closed_renewals_the_page_says_so(runtime, database_url, tmp_path):
    start = datetime.now(UTC) - timedelta(days=20)
    with runtime.sessions.begin() as session:
        session.add_all(_scores("acct_a", start, [70] * 20))
    out = tmp_path / "empty.html"
    result = CliRunner().invoke(cli, ["report", "--html", str(out)], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "No closed renewals yet" in text and "No interventions yet" in text
    assert text.count("data:image/png;base64,") == 1  # only the tier chart
