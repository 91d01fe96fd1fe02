"""How the demo prints what landed in the CRM sandbox: health tables, the task queue, one task body as a CSM
sees it (HubSpot's rich text rendered, Salesforce's plain text as is), the card fields of one account, and
the checks the CRM work must pass (every task owned, due after it was created)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connector.config.crm_section import default_field_name
from crm_adapters.sandbox import SandboxServer
from scoring.labels import trigger_label
from scoring.rules import TIER_LABELS

SHOWN_ACCOUNT = "Globex"
"""The account whose task body and card fields the demo prints (the fading enterprise account)."""
CARD_VALUES = (
    "score_history", "signal_notes", "last_activity_at", "active_users", "seats", "features_adopted",
    "open_tickets", "next_action", "next_action_owner", "next_action_due", "renewal_date", "mrr", "account_url",
    "churn_probability",
)  # fmt: skip
"""The values the health cards read beyond score, tier, trend and signals (docs/crm-cards.md)."""


def trigger_words(value: str | None) -> str:
    """A multi-select value (`a;b`) in words."""
    ids = [item for item in (value or "").split(";") if item]
    return ", ".join(trigger_label(item) for item in ids) or "-"


def health_table(title: str, record_label: str) -> Table:
    return Table(record_label, "owner", "score", "tier", "trend", "open triggers", title=title, title_justify="left")


def task_table(count: int) -> Table:
    return Table(
        "due", "priority", "type", "owner", "subject", title=f"{count} tasks in the CSMs' queues (first 12)",
        title_justify="left",
    )  # fmt: skip


class _RichTextView(HTMLParser):
    """HubSpot's rich text as its editor shows it: paragraphs, bold lead-ins, bullets under them, links."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str]] = []
        """(kind, markup): paragraphs and bullets in order."""
        self.current: list[str] = []
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "strong":
            self.current.append("[bold]")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.current.append("[underline blue]")
        elif tag == "br":
            self.current.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "strong":
            self.current.append("[/bold]")
        elif tag == "a":
            self.current.append(f"[/underline blue] ({escape(self.href or '')})")
        elif tag in ("p", "li"):
            self.lines.append((tag, "".join(self.current).strip()))
            self.current = []

    def handle_data(self, data: str) -> None:
        self.current.append(escape(data))


def rendered_html(html: str) -> str:
    """Rich markup for a HubSpot rich-text body, as a person reads it in HubSpot."""
    view = _RichTextView()
    view.feed(html)
    view.close()
    out = ""
    for kind, markup in view.lines:
        if kind == "li":
            out += f"\n  • {markup}"
        else:
            out += ("\n\n" if out else "") + markup
    return out


def print_task_body(console: Console, heading: str, markup: str) -> None:
    console.print(f"[bold]{escape(heading)}[/bold]")
    console.print("  " + markup.replace("\n", "\n  "), soft_wrap=False)


def print_card_fields(console: Console, title: str, values: Mapping[str, Any], names: Mapping[str, str]) -> None:
    """The card's extra values for one record (value key, CRM field, value)."""
    table = Table("value", "field", "as stored", title=title, title_justify="left")
    for key in CARD_VALUES:
        value = values.get(names[key])
        text = "" if value is None else str(value)
        table.add_row(key, names[key], escape(text.replace("\n", " | ")[:110]))
    console.print(table)


INTERNAL_IDS = re.compile(r"acct_|healthloop intervention|\b\d{4}-\d\d-\d\d:[a-z]")
"""Account ids, and intervention keys (`2026-12-07:low_score+...`), as earlier task bodies carried them."""


def _visible(body: str) -> str:
    """What a person reads of a body: links' targets left out (the account page's URL names the account)."""
    return re.sub(r"https?://\S+", "", re.sub(r'href="[^"]*"', "", body))


def task_checks(tasks: Sequence[tuple[str | None, datetime | date | None, datetime | date | None, str | None]]) -> str:
    """One line: are all tasks owned, due after they were created (a date-only due: on or after that day),
    free of internal ids? `tasks`: (owner id, created, due, body)."""

    def in_order(created: datetime | date | None, due: datetime | date | None) -> bool:
        if created is None or due is None:
            return False
        if isinstance(due, datetime) and isinstance(created, datetime):
            return due > created
        return (due.date() if isinstance(due, datetime) else due) >= (
            created.date() if isinstance(created, datetime) else created
        )

    owned = sum(1 for owner, _, _, _ in tasks if owner)
    later = sum(1 for _, created, due, _ in tasks if in_order(created, due))
    clean = sum(1 for *_, body in tasks if not INTERNAL_IDS.search(_visible(body)))
    n = len(tasks)
    return (
        f"of {n} open tasks: {owned} have an owner, {later} are due after they were created, {clean} have a body "
        "without internal ids"
    )


def instant(value: Any) -> datetime | None:
    """A sandbox timestamp (ISO 8601, `Z` or `+0000`) as an aware datetime."""
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def show_hubspot(sandbox: SandboxServer, console: Console) -> None:
    state = sandbox.state.dump()
    owners = {o["id"]: f"{o['firstName']} {o['lastName']}" for o in state["owners"]}
    companies = [c for c in state["objects"]["companies"] if not c["archived"]]
    table = health_table(f"in the HubSpot sandbox ({sandbox.url}): company properties", "company")
    for company in sorted(companies, key=lambda c: int(c["properties"].get("healthloop_score") or 101)):
        p = company["properties"]
        table.add_row(
            p.get("name", ""),
            owners.get(p.get("hubspot_owner_id", ""), "-"),
            p.get("healthloop_score", "-"),
            TIER_LABELS.get(p.get("healthloop_tier", ""), "-"),
            f"{p.get('healthloop_trend') or '-'} ({p.get('healthloop_trend_delta') or '±0'})",
            trigger_words(p.get("healthloop_open_triggers")),
        )
    console.print(table)
    prop = sandbox.state.property_definition("companies", "healthloop_open_triggers")
    console.print(
        f"healthloop_open_triggers is a multi-select ({prop['type']}/{prop['fieldType']}) with "
        f"{len(prop['options'])} options in words, e.g. {prop['options'][8]['label']!r}: CSMs can filter on each"
    )
    tasks = sorted(
        (t for t in state["objects"]["tasks"] if not t["archived"]),
        key=lambda t: t["properties"].get("hs_timestamp", ""),
    )
    task_rows = task_table(len(tasks))
    for task in tasks[:12]:
        p = task["properties"]
        task_rows.add_row(
            p.get("hs_timestamp", "")[:16].replace("T", " "),
            p.get("hs_task_priority", ""),
            p.get("hs_task_type", ""),
            owners.get(p.get("hubspot_owner_id", ""), "-"),
            p.get("hs_task_subject", ""),
        )
    console.print(task_rows)
    checked = [
        (p.get("hubspot_owner_id"), instant(t["createdAt"]), instant(p.get("hs_timestamp")), p.get("hs_task_body"))
        for t in tasks
        for p in [t["properties"]]
    ]
    console.print(task_checks(checked))
    shown = next((c for c in companies if c["properties"].get("name") == SHOWN_ACCOUNT), None)
    linked = set(sandbox.state.associated("companies", shown["id"], "tasks")) if shown else set()
    task = next((t for t in tasks if t["id"] in linked), tasks[0] if tasks else None)
    if task is not None:
        heading = f'the task "{task["properties"]["hs_task_subject"]}" as a CSM sees it in HubSpot:'
        print_task_body(console, heading, rendered_html(task["properties"]["hs_task_body"]))
    if shown is not None:
        names = {key: f"healthloop_{key}" for key in CARD_VALUES}
        print_card_fields(console, f"{SHOWN_ACCOUNT}: the fields its health card reads", shown["properties"], names)
    notes = [n for n in state["objects"]["notes"] if not n["archived"]]
    sequences = sorted({e.get("sequenceName", str(e.get("sequenceId"))) for e in state["enrollments"]})
    console.print(
        f"{len(notes)} tier-change note(s), {len(state['enrollments'])} sequence enrollment(s) "
        f"({', '.join(sequences) or '-'})"
    )


def show_salesforce(sandbox: SandboxServer, console: Console) -> None:
    users = {
        u["Id"]: f"{u.get('FirstName', '')} {u.get('LastName', '')}".strip()
        for u in sandbox.salesforce_state("User")["User"]
    }
    accounts = [a for a in sandbox.salesforce_state("Account")["Account"] if not a.get("IsDeleted")]
    table = health_table(f"in the Salesforce sandbox ({sandbox.salesforce_url}): Account fields", "account")
    for account in sorted(accounts, key=lambda a: a.get("Healthloop_Score__c") or 101):
        score = account.get("Healthloop_Score__c")
        delta = account.get("Healthloop_Trend_Delta__c")
        table.add_row(
            account.get("Name", ""),
            users.get(account.get("OwnerId", ""), "-"),
            "-" if score is None else f"{score:.0f}",
            TIER_LABELS.get(account.get("Healthloop_Tier__c") or "", "-"),
            f"{account.get('Healthloop_Trend__c') or '-'} ({'±0' if not delta else f'{delta:+.0f}'})",
            trigger_words(account.get("Healthloop_Open_Triggers__c")),
        )
    console.print(table)
    field = sandbox.salesforce.field("Account", "Healthloop_Open_Triggers__c") or {}
    console.print(
        f"Healthloop_Open_Triggers__c is a {field.get('type')} field with {len(field.get('picklistValues', []))} "
        "values in words: CSMs can filter list views and reports on each"
    )
    all_tasks = [t for t in sandbox.salesforce_state("Task")["Task"] if not t.get("IsDeleted")]
    tasks = sorted((t for t in all_tasks if not t.get("IsClosed")), key=lambda t: t.get("ActivityDate") or "")
    task_rows = task_table(len(tasks))
    for task in tasks[:12]:
        task_rows.add_row(
            task.get("ActivityDate") or "",
            task.get("Priority") or "",
            task.get("TaskSubtype") or "",
            users.get(task.get("OwnerId", ""), "-"),
            task.get("Subject") or "",
        )
    console.print(task_rows)
    checked = [
        (t.get("OwnerId"), instant(t.get("CreatedDate")), _day(t.get("ActivityDate")), t.get("Description"))
        for t in tasks
    ]
    console.print(task_checks(checked))
    shown = next((a for a in accounts if a.get("Name") == SHOWN_ACCOUNT), None)
    task = next((t for t in tasks if shown and t.get("WhatId") == shown["Id"]), tasks[0] if tasks else None)
    if task is not None:
        heading = f'the task "{task.get("Subject")}" as a CSM sees it in Salesforce (Comments, plain text):'
        print_task_body(console, heading, escape(task.get("Description") or ""))
    if shown is not None:
        names = {key: default_field_name("salesforce", key) for key in CARD_VALUES}
        print_card_fields(console, f"{SHOWN_ACCOUNT}: the fields its health card reads", shown, names)
    trackers = sandbox.salesforce_state("ActionCadenceTracker")["ActionCadenceTracker"]
    notes = len(all_tasks) - len(tasks)
    console.print(f"{notes} tier-change note(s) (completed Tasks), {len(trackers)} cadence assignment(s)")
