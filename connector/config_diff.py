"""`healthloop config diff NEW.yaml`: what a proposed config would change, before anyone publishes it.

Stored history is replayed day by day under the live config and under the proposed one (the
backtest's replay): how many accounts end in another tier, which triggers fire more or less often,
and how the indicators do against known renewals, old vs new. Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from connector.backtest import Replay, indicators, replay
from connector.config.yaml_config import Config, load_config
from connector.health.history import load_histories, lookback_days
from connector.measure.renewals import stored_renewals
from connector.store.models import Account
from scoring.rules import TIER_LABELS, TRIGGER_IDS


def changed_keys(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the values that differ between two configs (as plain data)."""
    if isinstance(old, dict) and isinstance(new, dict):
        paths: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            paths += changed_keys(old.get(key), new.get(key), f"{prefix}{key}.")
        return paths
    return [] if old == new else [prefix.rstrip(".")]


def compare(old: dict[str, Replay], new: dict[str, Replay], last_day: Any) -> dict[str, Any]:
    """Tier moves on the last day and trigger firings over the period, old vs new."""
    moves: Counter[tuple[str, str]] = Counter()
    for account, before in old.items():
        after = new.get(account)
        if after is None:
            continue
        was, now = before.tiers.get(last_day), after.tiers.get(last_day)
        if was and now and was != now:
            moves[(was, now)] += 1
    triggers = {}
    for trigger_id in TRIGGER_IDS:
        was = sum(len(r.fired.get(trigger_id, ())) for r in old.values())
        now = sum(len(r.fired.get(trigger_id, ())) for r in new.values())
        triggers[trigger_id] = {"old": was, "new": now, "change": now - was}
    return {
        "accounts": len(old),
        "tier_changes": sum(moves.values()),
        "tier_moves": [{"from": f, "to": t, "accounts": n} for (f, t), n in moves.most_common()],
        "triggers": triggers,
    }


@click.command("diff")
@click.argument("proposed", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 730), help="Days of history to replay.")
@click.option("--json", "as_json", is_flag=True)
def diff_command(proposed: Path, days: int, as_json: bool) -> None:
    """Replay stored history under the live config and PROPOSED: tier moves, trigger volumes, indicator accuracy."""
    from connector.config.settings import load_settings
    from connector.runtime import open_database

    settings = load_settings()
    live: Config = load_config(settings.config_path)
    new: Config = load_config(proposed)
    last = datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    dates = [first + timedelta(days=n) for n in range(days)]
    lookback = max(lookback_days(live.scoring), lookback_days(new.scoring))
    with open_database(settings) as sessions, sessions() as session:
        accounts = list(session.scalars(select(Account.account_id)))
        histories = load_histories(session, accounts, first - timedelta(days=lookback), last)
        renewals = stored_renewals(session)
    old_replays = {a: replay(h, dates, live.scoring) for a, h in histories.items()}
    new_replays = {a: replay(h, dates, new.scoring) for a, h in histories.items()}
    report = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "changed": changed_keys(live.model_dump(mode="json"), new.model_dump(mode="json")),
        "versions": {"old": live.scoring.version(), "new": new.scoring.version()},
        **compare(old_replays, new_replays, last),
        "indicators": {
            "old": indicators(old_replays, renewals, live.scoring),
            "new": indicators(new_replays, renewals, new.scoring),
        },
    }
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(report)


def _print(report: dict[str, Any]) -> None:
    console = Console()
    changed = ", ".join(report["changed"]) or "nothing"
    console.print(
        f"config diff over {report['from']} .. {report['to']} ({report['accounts']} accounts; rules "
        f"{report['versions']['old']} -> {report['versions']['new']}); changed: {changed}"
    )
    console.print(f"{report['tier_changes']} account(s) would end in another tier today:")
    for move in report["tier_moves"]:
        console.print(f"  {TIER_LABELS[move['from']]} -> {TIER_LABELS[move['to']]}: {move['accounts']}")
    table = Table("trigger", "firings now", "firings proposed", "change", title="trigger volume")
    for trigger_id, row in report["triggers"].items():
        if row["old"] or row["new"]:
            table.add_row(trigger_id, str(row["old"]), str(row["new"]), f"{row['change']:+d}")
    console.print(table)
    old, new = report["indicators"]["old"], report["indicators"]["new"]
    accuracy = Table("indicator", "precision now", "proposed", "recall now", "proposed", title="indicator accuracy")
    proposed = {row["indicator"]: row for row in new["indicators"]}
    for row in old["indicators"]:
        other = proposed.get(row["indicator"])
        if other and (row["flagged"] or other["flagged"] or row["indicator"] == "score"):
            accuracy.add_row(
                row["indicator"],
                _rate(row["precision"]),
                _rate(other["precision"]),
                _rate(row["recall"]),
                _rate(other["recall"]),
            )
    console.print(accuracy)
    if not old["renewals"]["closed"]:
        console.print("no closed renewals stored yet: `healthloop outcomes import FILE` or `outcomes pull`")


def _rate(p: dict[str, Any]) -> str:
    return "-" if not p["n"] else f"{p['value']:.0%} ({p['successes']}/{p['n']})"
