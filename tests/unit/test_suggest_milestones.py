"""`config suggest`'s milestones on a hand-made history: with enough leavers, a step must tell stayers from them."""

from __future__ import annotations

from datetime import date, timedelta

from connector.measure.event_classes import EventClasses
from connector.measure.event_names import name_role
from connector.measure.event_usage import AccountUsage, UsageHistory
from connector.measure.suggest_events import Retention
from connector.measure.suggest_milestones import milestones
from connector.measure.suggestion import MAX_MILESTONES
from scoring.rules import ScoringRules

FIRST, LAST = date(2026, 1, 1), date(2026, 6, 30)
SIGNUP = FIRST + timedelta(days=10)


def _account(account_id: str, done: dict[str, int]) -> AccountUsage:
    """An account that signed up on SIGNUP and first did each event `done[event]` days later."""
    firsts = {event: SIGNUP + timedelta(days=day) for event, day in done.items()}
    return AccountUsage(account_id, signed_up_on=SIGNUP, firsts=firsts, first_active=SIGNUP)


def _suggest(stayers: list[dict[str, int]], leavers: list[dict[str, int]]):
    accounts = [_account(f"s{i}", done) for i, done in enumerate(stayers)]
    accounts += [_account(f"l{i}", done) for i, done in enumerate(leavers)]
    history = UsageHistory({a.account_id: a for a in accounts}, FIRST, LAST, 28)
    events = tuple(sorted({event for a in accounts for event in a.firsts}))
    reach = {event: sum(1 for a in accounts if event in a.firsts) for event in events}
    classes = EventClasses(events, reach, {}, {event: name_role(event) for event in events})
    kept = Retention(
        frozenset(f"s{i}" for i in range(len(stayers))), frozenset(f"l{i}" for i in range(len(leavers))),
        frozenset(), len(stayers), 0, 0, 14,
    )  # fmt: skip
    suggested, _ = milestones(history, classes, kept, ScoringRules())
    return suggested


def test_with_enough_leavers_a_step_everybody_takes_is_no_milestone():
    # Everyone creates a board by day 2; 90% of stayers and 40% of leavers connect a bank by day 4;
    # 95% of stayers and 80% of leavers send an invoice by day 6.
    stayers = [{"Board Created": 2, "Invoice Sent": 6} | ({"Bank Connected": 4} if i % 10 else {}) for i in range(40)]
    stayers = [s if i % 20 else {"Board Created": 2, "Bank Connected": 4} for i, s in enumerate(stayers)]
    leavers = [{"Board Created": 2} | ({"Bank Connected": 4} if i < 8 else {}) | ({"Invoice Sent": 6} if i < 16 else {})
               for i in range(20)]  # fmt: skip
    suggested = _suggest(stayers, leavers)
    assert [pick.event for pick in suggested.picks] == ["Bank Connected", "Invoice Sent"], "ordered by median day"
    assert any("Board Created (100% vs 100%)" in note for note in suggested.notes), suggested.notes


def test_with_few_leavers_the_most_widely_done_steps_are_kept():
    stayers = [{"Board Created": 2, "Invoice Sent": 6} for _ in range(40)]
    leavers = [{"Board Created": 2, "Invoice Sent": 6} for _ in range(5)]
    suggested = _suggest(stayers, leavers)
    assert [pick.event for pick in suggested.picks] == ["Board Created", "Invoice Sent"]


def test_beyond_the_cap_the_steps_that_tell_stayers_from_leavers_best_are_kept():
    # Step k: every stayer does it on day k; leaver i does it when i < 2k (the later the step, the more
    # leavers take it too). With one step more than the cap, the one leavers take most is left out.
    steps = [f"Step {k:02d}" for k in range(1, MAX_MILESTONES + 2)]
    stayers = [{step: k for k, step in enumerate(steps, 1)} for _ in range(40)]
    leavers = [{step: k for k, step in enumerate(steps, 1) if i < 2 * k} for i in range(20)]
    suggested = _suggest(stayers, leavers)
    assert [pick.event for pick in suggested.picks] == steps[:MAX_MILESTONES]
    assert any(steps[-1] in note and "widest gaps" in note for note in suggested.notes), suggested.notes
