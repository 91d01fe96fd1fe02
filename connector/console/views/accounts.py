"""Accounts: the list with filters, sort, search and pages, and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue

from connector.console.blueprint import bp, runtime
from connector.console.charts import sparkline
from connector.console.filters import TRIGGER_WORDS
from connector.health.account_list import (
    OWNERS,
    PAGE_SIZES,
    SORTS,
    SPARKLINE_DAYS,
    AccountQuery,
    iter_rows,
    list_page,
)
from scoring.rules import TIER_LABELS, TIERS, TRIGGER_IDS

CSV_COLUMNS = ("account_id", "name", "score", "tier", "trend_delta", "scored_on", "open_triggers", "play_owner",
               "mrr", "renewal_date", "revenue_at_risk")  # fmt: skip


def _cell(text: str | None) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value or default)))
    except ValueError:
        return default


def query_from(args: Any) -> AccountQuery:
    """The list's query from the URL; unknown values fall back to no filter / the default."""
    sort = args.get("sort", "score")
    per_page = _int(args.get("per_page"), 50, 1, max(PAGE_SIZES))
    return AccountQuery(
        tier=args.get("tier") if args.get("tier") in TIERS else None,
        trigger=args.get("trigger") if args.get("trigger") in TRIGGER_IDS else None,
        owner=args.get("owner") if args.get("owner") in OWNERS else None,
        search=(args.get("q") or "").strip()[:200] or None,
        sort=sort if sort in SORTS else "score",  # type: ignore[arg-type]
        descending=args.get("dir") == "desc",
        page=_int(args.get("page"), 1, 1, 1_000_000),
        per_page=per_page if per_page in PAGE_SIZES else 50,
    )


def _args(query: AccountQuery, **changes: Any) -> dict[str, Any]:
    q = replace(query, **changes)
    args = {"tier": q.tier, "trigger": q.trigger, "owner": q.owner, "q": q.search, "sort": q.sort,
            "dir": "desc" if q.descending else "asc", "page": q.page, "per_page": q.per_page}  # fmt: skip
    defaults = {"sort": "score", "dir": "asc", "page": 1, "per_page": 50}
    return {k: v for k, v in args.items() if v not in (None, "") and defaults.get(k) != v}


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("console.accounts"))


@bp.get("/accounts")
def accounts() -> ResponseReturnValue:
    rt = runtime()
    query = query_from(request.args)
    today = datetime.now(UTC).date()
    with rt.readers() as session:
        page = list_page(session, query, rt.config.scoring.tiers, today)
    lines = {row.account_id: sparkline(row.recent_scores, today, SPARKLINE_DAYS) for row in page.rows}

    def link(**changes: Any) -> str:
        return url_for("console.accounts", **_args(query, **changes))

    def sort_link(key: str) -> str:
        descending = not query.descending if query.sort == key else key in ("revenue_at_risk", "mrr", "trend")
        return link(sort=key, descending=descending, page=1)

    return render_template(
        "console/accounts.html",
        page=page,
        query=query,
        lines=lines,
        link=link,
        sort_link=sort_link,
        csv_link=url_for("console.accounts_csv", **_args(query, page=1)),
        tiers=TIERS,
        tier_labels=TIER_LABELS,
        triggers=TRIGGER_IDS,
        trigger_words=TRIGGER_WORDS,
        owners=OWNERS,
        sorts=SORTS,
        page_sizes=PAGE_SIZES,
        sparkline_days=SPARKLINE_DAYS,
    )


@bp.get("/accounts.csv")
def accounts_csv() -> ResponseReturnValue:
    rt = runtime()
    query = query_from(request.args)
    today = datetime.now(UTC).date()

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        with rt.readers() as session:
            for n, row in enumerate(iter_rows(session, query, rt.config.scoring.tiers, today)):
                writer.writerow([
                    _cell(row.account_id), _cell(row.name), "" if row.score is None else row.score, row.tier or "",
                    "" if row.trend_delta is None else row.trend_delta, row.scored_on or "",
                    " ".join(row.open_triggers), row.play_owner or "", "" if row.mrr is None else row.mrr,
                    row.renewal_date or "", "" if row.revenue_at_risk is None else row.revenue_at_risk,
                ])  # fmt: skip
                if n % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    name = f"healthloop-accounts-{today.isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(stream_with_context(lines()), mimetype="text/csv", headers=headers)


@bp.get("/accounts.json")
def accounts_json() -> ResponseReturnValue:
    """The same page as JSON (the list's third rendering, after HTML and CSV)."""
    rt = runtime()
    query = query_from(request.args)
    today = datetime.now(UTC).date()
    with rt.readers() as session:
        page = list_page(session, query, rt.config.scoring.tiers, today)
    return jsonify(
        total=page.total,
        page=query.page,
        pages=page.pages,
        tier_counts=page.tier_counts,
        accounts=[asdict(row) for row in page.rows],
    )
