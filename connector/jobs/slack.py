"""Slack alerts to CSMs through an incoming webhook (`SLACK_WEBHOOK_URL`), paced and retried."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from sqlalchemy import select

from connector.jobs import runtime
from connector.store.models import Account, Intervention
from connector.telemetry.metrics import metrics
from scoring.rules import TIER_LABELS

log = logging.getLogger(__name__)

PACE_SECONDS = 1.0
"""Slack allows about one message a second per webhook."""
PERMANENT = {400, 403, 404, 410}
"""invalid_payload, action_prohibited, channel_not_found / no_service, channel_is_archived."""


class SlackUnavailable(Exception):
    """Slack answered 429 or 5xx, or did not answer: the job is retried."""


def slack_message(intervention: Intervention, account_name: str | None) -> dict[str, Any]:
    """A Block Kit message with a plain-text fallback; no secrets, just the story and the ask."""
    who = account_name or intervention.account_id
    tier = TIER_LABELS.get(intervention.tier, intervention.tier)
    due = intervention.due_at.strftime("%Y-%m-%d %H:%M UTC")
    headline = f"*{who}* is *{tier}*: {intervention.action} ({intervention.priority} priority, due {due})"
    return {
        "text": intervention.subject,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
            {"type": "section", "text": {"type": "mrkdwn", "text": intervention.body[:2900]}},
        ],
    }


def deliver_slack_alerts(intervention_ids: list[int]) -> dict[str, int]:
    """RQ job: post each pending alert once. Retriable failures re-raise so RQ retries the rest."""
    rt = runtime.current()
    url = rt.settings.slack_webhook_url.get_secret_value() if rt.settings.slack_webhook_url else None
    counts = {"sent": 0, "failed": 0, "not_configured": 0}
    retry_later = False
    for position, intervention_id in enumerate(intervention_ids):
        with rt.sessions.begin() as session:
            intervention = session.get(Intervention, intervention_id, with_for_update=True)
            if intervention is None or intervention.slack_status not in ("pending", None):
                continue
            if url is None:
                intervention.slack_status = "not_configured"
                counts["not_configured"] += 1
                continue
            name = session.scalar(select(Account.name).where(Account.account_id == intervention.account_id))
            if position:
                time.sleep(PACE_SECONDS)
            status = _post(url, slack_message(intervention, name))
            if status == 200:
                intervention.slack_status = "sent"
                counts["sent"] += 1
            elif status in PERMANENT:
                intervention.slack_status = "failed"
                counts["failed"] += 1
                log.error(
                    "Slack refused the alert for intervention %s (HTTP %s); check SLACK_WEBHOOK_URL",
                    intervention_id,
                    status,
                )
            else:
                retry_later = True
    alerts = metrics().slack_alerts
    for outcome, count in counts.items():
        if count:
            alerts.labels(outcome).inc(count)
    if retry_later:
        alerts.labels("retry").inc()
        raise SlackUnavailable("Slack did not accept every alert; RQ retries the job")
    return counts


def _post(url: str, message: dict[str, Any]) -> int | None:
    try:
        return requests.post(url, json=message, timeout=10).status_code
    except requests.RequestException as exc:
        log.warning("Slack webhook unreachable (%s)", type(exc).__name__)
        return None
