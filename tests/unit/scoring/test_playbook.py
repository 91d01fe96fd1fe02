"""Playbook selection: rows, keys, due times, subjects and bodies."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scoring.model import PriorState, Trend, TriggerHit
from scoring.playbook import (
    entered_worse_tier,
    plan,
    readable,
    row_for,
    signed,
    silence_horizon,
    tier_play_due,
    why_no_work,
)
from scoring.rules import Playbook, PlaybookRow, ScoringRules
from tests.unit.scoring.timelines import AS_OF, DECIDED_AT, RULES, WORK, day, healthy, scored, steady, timeline

MINUS = "\u2212"


def hit(trigger_id: str, **evidence: object) -> TriggerHit:
    return TriggerHit(trigger_id, evidence or {"days_inactive": 21}, f"Acme: {trigger_id} story.")


STAY = "same"
"""`previous` default: the account stays in the tier it had (an episode of unknown start: no tier play)."""


def decide(
    tier: str,
    fired=(),
    hits=None,
    previous: str | None = STAY,
    delta: int | None = -18,
    rules=RULES,
    value=55,
    prior: PriorState | None = None,
    account=None,
):
    score = scored(value, value, None, value)
    trend = Trend(delta, None if delta is None else "declining")
    prior = prior or PriorState(previous_tier=tier if previous == STAY else previous)
    hits = list(fired) if hits is None else hits
    return plan(account or healthy(), score, tier, trend, hits, list(fired), prior, rules, DECIDED_AT)


def test_a_trigger_with_its_own_row_gets_that_row():
    [intervention] = decide("at_risk", [hit("inactivity_winback")])
    assert intervention.action == "win-back outreach" and intervention.channels == ("email_sequence",)
    assert intervention.trigger_id == "inactivity_winback" and intervention.tier == "at_risk"
    assert intervention.due_at == DECIDED_AT + timedelta(hours=72)


def test_a_trigger_without_a_row_gets_the_current_tiers_row():
    [intervention] = decide("critical", [hit("low_score")])
    assert intervention.action == "human CSM outreach" and intervention.owner == "escalation"
    assert intervention.due_at == DECIDED_AT and intervention.slack_alert


def test_each_tier_row_matches_the_seeds_playbook():
    expected = {
        "healthy": ("nurture: tips and beta invites", 30 * 24),
        "monitor": ("educate: feature adoption nudges", 72),
        "at_risk": ("personalized re-engagement", 24),
        "critical": ("human CSM outreach", 0),
        "churning": ("executive save attempt", 8),
    }
    for tier, (action, hours) in expected.items():
        row = row_for(None, tier, RULES)
        assert (row.action, row.due_hours) == (action, hours)
    assert row_for("health_drop", "monitor", RULES).action == "personalized re-engagement"
    assert row_for("stuck_in_journey", "critical", RULES).action == "educational outreach"


def test_each_named_signal_has_its_own_default_row():
    assert row_for("ticket_cluster", "healthy", RULES).action.startswith("root-cause review")
    assert row_for("seats_inactive", "monitor", RULES).action == "seat activation push"
    assert row_for("setup_incomplete", "at_risk", RULES).channels == ["email", "call"]


def test_a_configured_trigger_row_overrides_the_tier_row():
    row = PlaybookRow(action="fix the export", channels=["task"], due_hours=4, priority="high")
    rules = ScoringRules(playbook=Playbook(triggers={"ticket_cluster": row}))
    [intervention] = decide("monitor", [hit("ticket_cluster")], rules=rules)
    assert intervention.action == "fix the export" and intervention.due_at == DECIDED_AT + timedelta(hours=4)


def test_one_intervention_per_assessment_however_many_triggers_fire():
    [intervention] = decide("at_risk", [hit("low_score"), hit("inactive")])
    assert intervention.key == "2025-03-31:low_score+inactive"
    assert intervention.trigger_ids == ("low_score", "inactive")
    assert "Low health score: Acme: low_score story." in intervention.body
    assert "No recent activity: Acme: inactive story." in intervention.body
    [again] = decide("at_risk", [hit("low_score"), hit("inactive")])
    assert again.key == intervention.key, "a retry decides the same key, so the store ignores it"
    [later] = decide("at_risk", [hit("login_decline")])
    assert later.key != intervention.key, "a different trigger opening later that day is a new problem"


def test_the_most_urgent_row_wins_and_any_slack_row_alerts():
    [intervention] = decide("monitor", [hit("inactivity_winback"), hit("health_drop")])
    assert intervention.action == "personalized re-engagement" and intervention.trigger_id == "health_drop"
    assert intervention.due_at == DECIDED_AT + timedelta(hours=24) and intervention.slack_alert


def test_entering_a_worse_tier_opens_an_intervention_with_the_tier_row():
    [entry] = decide("at_risk", [], previous="monitor")
    assert entry.key == "2025-03-31:tier-at_risk" and entry.trigger_id is None
    assert entry.action == "personalized re-engagement" and entry.slack_alert
    assert entry.body.startswith("Acme moved from Monitor to At Risk.")
    [both] = decide("critical", [hit("low_score")], previous="monitor")
    assert both.key == "2025-03-31:low_score+tier-critical"
    assert both.action == "human CSM outreach" and both.owner == "escalation", "critical's row is more urgent"


def test_a_first_score_opens_the_current_tiers_play():
    [first] = decide("monitor", previous=None)
    assert first.tier_play and first.key == "2025-03-31:tier-monitor" and first.action.startswith("educate")
    assert first.story is not None and (first.story.opening or "").startswith(
        "Acme is in Monitor (healthloop scored it for the first time). What weighs most on its score: Activity 55"
    )


def test_an_improvement_opens_the_new_tiers_play():
    [better] = decide("monitor", previous="at_risk")
    assert better.tier_play and better.body.startswith("Acme moved from At Risk to Monitor.")


def test_the_tier_play_comes_once_per_tier_episode():
    since = day(20)
    never_played = PriorState(previous_tier="monitor", tier_since=since)
    [late] = decide("monitor", prior=never_played)
    assert late.tier_play and "has been in Monitor since 2025-03-11" in late.body
    played = replace(never_played, tier_plays={"monitor": day(10)})
    assert decide("monitor", prior=played) == (), "already played in this episode"
    before = replace(never_played, tier_plays={"monitor": day(30)})
    assert decide("monitor", prior=before)[0].tier_play, "the last play was in an earlier episode"
    assert decide("at_risk", previous="at_risk") == (), "an episode of unknown start gets no play by staying put"
    assert not entered_worse_tier("at_risk", "unknown")


def test_a_tier_flapping_back_gets_no_second_play_within_the_cool_down():
    flapped = PriorState(previous_tier="at_risk", tier_plays={"monitor": day(3)})
    assert not tier_play_due(healthy(), "monitor", flapped, RULES)
    later = PriorState(previous_tier="at_risk", tier_plays={"monitor": day(RULES.triggers.cooldown_days)})
    assert tier_play_due(healthy(), "monitor", later, RULES)


def test_no_tier_intervention_while_a_new_account_is_in_its_grace_days():
    young = timeline(signed_up=5, seats=5, days={0: {"Signed In": 1}})
    score = scored(30, 30, None, 30)
    assert (
        plan(
            young, score, "critical", Trend(None, None), [], [], PriorState(previous_tier="monitor"), RULES, DECIDED_AT
        )
        == ()
    )


def test_the_subject_names_the_account_tier_score_trend_action_and_triggers_in_words():
    [entry] = decide("at_risk", [], previous="monitor")
    assert entry.subject == f"Acme: At Risk (55, {MINUS}18 in 7 days) — personalized re-engagement"
    [trigger] = decide("at_risk", [hit("inactivity_winback")])
    assert trigger.subject == f"Acme: At Risk (55, {MINUS}18 in 7 days) — win-back outreach (Gone quiet (win-back))"
    [unknown_trend] = decide("at_risk", [hit("low_score", score=55, below=60)], delta=None)
    assert unknown_trend.subject == "Acme: At Risk (55) — personalized re-engagement (Low health score)"
    assert (signed(5), signed(0)) == ("+5", "±0")


def test_the_body_tells_the_story_with_evidence_in_numbers_and_the_ask_without_ids_or_channels():
    [intervention] = decide("at_risk", [hit("inactive", days_inactive=21, last_active_on="2025-03-10", threshold=14)])
    assert intervention.body.startswith(
        "No recent activity: Acme: inactive story.\n"
        "- 21 days without meaningful activity (the alert is at 14)\n"
        "- Last meaningful activity on 2025-03-10"
    )
    assert f"Health now: 55 of 100 (At Risk), {MINUS}18 in 7 days.\n- Activity 55 of 100:" in intervention.body
    assert "What to do: Personalized re-engagement — an email, within 24 hours (high priority)." in intervention.body
    assert "slack" not in intervention.body.lower() and "2025-03-31:" not in intervention.body
    assert intervention.story is not None and intervention.story.channels == ("email", "slack")


def test_still_open_triggers_are_named_in_words():
    [intervention] = decide("at_risk", [hit("login_decline")], hits=[hit("login_decline"), hit("seats_inactive")])
    assert intervention.story is not None and intervention.story.also_open == ("Most seats idle",)
    assert "Also open: Most seats idle." in intervention.body


def test_a_near_renewal_at_risk_or_worse_goes_to_the_escalation_owner_at_high_priority():
    renewing = replace(healthy(), renewal_on=AS_OF + timedelta(days=80), mrr=4500.0)
    [play] = decide("at_risk", [hit("login_decline")], account=renewing)
    assert (play.owner, play.priority) == ("escalation", "high")
    assert play.story is not None and play.story.stakes == (
        "Renewal on 2025-06-19, in 80 days.",
        "MRR 4,500 (ARR 54,000).",
        "Escalated: At Risk with a renewal 80 days away goes to the escalation owner.",
    )
    far = replace(renewing, renewal_on=AS_OF + timedelta(days=200))
    [calm] = decide("at_risk", [hit("login_decline")], account=far)
    assert (calm.owner, calm.priority) == ("csm", "medium")


def test_a_near_renewal_in_a_better_tier_raises_the_priority_one_step():
    renewing = replace(healthy(), renewal_on=AS_OF + timedelta(days=30))
    [monitor] = decide("monitor", previous=None, account=renewing)
    assert (monitor.owner, monitor.priority) == ("csm", "high")
    assert "Priority raised to high: the renewal is 30 days away." in monitor.body
    [healthy_play] = decide("healthy", previous=None, account=renewing)
    assert healthy_play.priority == "low", "a healthy account's renewal is no reason to hurry"


def test_revenue_raises_the_priority_only_when_configured():
    rich = replace(healthy(), mrr=20_000.0)
    [plain] = decide("monitor", previous=None, account=rich)
    assert plain.priority == "medium"
    rules = ScoringRules.model_validate({"playbook": {"stakes": {"high_value_mrr": 10_000}}})
    [raised] = decide("monitor", previous=None, account=rich, rules=rules)
    assert raised.priority == "high" and "MRR of 10,000 or more" in raised.body


def test_the_control_group_is_a_stable_per_trigger_share_of_interventions():
    never = ScoringRules.model_validate({"playbook": {"control_share": 0}})
    always = ScoringRules.model_validate({"playbook": {"control_share": 1}})
    only_inactive = ScoringRules.model_validate({"playbook": {"control_share": 0, "control_shares": {"inactive": 1}}})
    (held,) = decide("at_risk", fired=[hit("inactive")], rules=always)
    assert held.control
    (sent,) = decide("at_risk", fired=[hit("inactive")], rules=never)
    assert not sent.control and sent.key == held.key
    assert decide("at_risk", fired=[hit("inactive")], rules=only_inactive)[0].control
    assert not decide("at_risk", fired=[hit("login_decline")], rules=only_inactive)[0].control
    default = [decide("at_risk", fired=[hit("inactive")])[0].control for _ in range(3)]
    assert len(set(default)) == 1, "the same account and key always land on the same side"


def test_no_work_for_an_account_silent_past_the_win_back_window():
    assert why_no_work(timeline(days=steady(10, WORK, first=60)), RULES, None) is None, "60 days: still win-back"
    gone = why_no_work(timeline(days=steady(10, WORK, first=61)), RULES, None)
    assert gone == "no meaningful activity for more than 60 days, the playbook's horizon"


def test_an_account_never_active_counts_its_silence_from_its_start():
    assert why_no_work(timeline(signed_up=5), RULES, None) is None, "a new account still gets setup help"
    assert (
        why_no_work(timeline(signed_up=90), RULES, None)
        == "no meaningful activity for more than 60 days, the playbook's horizon"
    )


def test_the_silence_horizon_is_configurable_and_defaults_to_the_inactivity_window():
    assert silence_horizon(RULES) == RULES.triggers.inactivity_max_days == 60
    patient = ScoringRules.model_validate({"playbook": {"max_silence_days": 120}})
    assert silence_horizon(patient) == 120
    assert why_no_work(timeline(days=steady(10, WORK, first=90)), patient, None) is None
    longer_winback = ScoringRules.model_validate({"triggers": {"inactivity_max_days": 90}})
    assert why_no_work(timeline(days=steady(10, WORK, first=90)), longer_winback, None) is None


def test_no_work_once_the_latest_renewal_closed_lost_or_churned():
    assert why_no_work(healthy(), RULES, "churned") == "its latest renewal closed churned"
    assert why_no_work(healthy(), RULES, "lost") == "its latest renewal closed lost"
    assert why_no_work(healthy(), RULES, "won") is None and why_no_work(healthy(), RULES, "open") is None


def test_nested_evidence_reads_as_text():
    evidence = {"issues": [{"issue": "export", "ticket_ids": ["1", "2"]}], "window_days": 30, "pct": 30.0}
    assert readable(evidence) == "issues (issue export; ticket ids 1, 2); window days 30; pct 30"
    assert readable({"missing": [], "last": None}) == "missing none; last none"
