"""Alert lifecycle: fire once, stay open while true, clear, cool down, fire again."""

from __future__ import annotations

from datetime import date, timedelta

from scoring.alerts import cooling_down, reconcile
from scoring.model import OpenAlert, PriorState, TriggerHit
from scoring.rules import ScoringRules, TriggerRules
from tests.unit.scoring.timelines import AS_OF, RULES, day


def hit(trigger_id: str) -> TriggerHit:
    return TriggerHit(trigger_id, {"n": 1}, f"{trigger_id} is true")


def open_alert(trigger_id: str, fired: int = 3) -> OpenAlert:
    return OpenAlert(trigger_id, day(fired))


def test_a_new_true_trigger_fires():
    fired, still_open, cleared = reconcile([hit("inactive")], PriorState(), AS_OF, RULES)
    assert [h.trigger_id for h in fired] == ["inactive"] and still_open == () and cleared == ()


def test_a_trigger_still_true_does_not_fire_again():
    prior = PriorState(open_alerts={"inactive": open_alert("inactive")})
    fired, still_open, cleared = reconcile([hit("inactive")], prior, AS_OF, RULES)
    assert fired == () and [h.trigger_id for h in still_open] == ["inactive"] and cleared == ()


def test_an_open_alert_whose_trigger_is_no_longer_true_clears():
    prior = PriorState(open_alerts={"low_score": open_alert("low_score"), "inactive": open_alert("inactive")})
    fired, still_open, cleared = reconcile([hit("low_score")], prior, AS_OF, RULES)
    assert fired == () and [h.trigger_id for h in still_open] == ["low_score"] and cleared == ("inactive",)


def test_cleared_alerts_come_back_in_trigger_order():
    prior = PriorState(open_alerts={k: open_alert(k) for k in ("ticket_cluster", "low_score", "login_decline")})
    assert reconcile([], prior, AS_OF, RULES)[2] == ("low_score", "login_decline", "ticket_cluster")


def test_the_cool_down_blocks_a_trigger_that_cleared_recently_from_firing_again():
    prior = PriorState(last_cleared={"inactive": day(6)})
    fired, still_open, cleared = reconcile([hit("inactive")], prior, AS_OF, RULES)
    assert fired == still_open == cleared == ()
    assert cooling_down("inactive", prior, AS_OF, RULES)


def test_a_trigger_fires_again_once_the_cool_down_has_passed():
    prior = PriorState(last_cleared={"inactive": day(7)})
    fired, _, _ = reconcile([hit("inactive")], prior, AS_OF, RULES)
    assert [h.trigger_id for h in fired] == ["inactive"]


def test_a_zero_day_cool_down_lets_a_trigger_fire_again_the_day_it_cleared():
    rules = ScoringRules(triggers=TriggerRules(cooldown_days=0))
    fired, _, _ = reconcile([hit("inactive")], PriorState(last_cleared={"inactive": AS_OF}), AS_OF, rules)
    assert len(fired) == 1


def test_the_whole_lifecycle_over_several_days():
    open_alerts: dict[str, OpenAlert] = {}
    last_cleared: dict[str, date] = {}
    log: list[tuple[str, int]] = []
    true_on = {0, 1, *range(3, 10)}
    for offset in range(11):
        today = AS_OF + timedelta(days=offset)
        hits = [hit("login_decline")] if offset in true_on else []
        prior = PriorState(open_alerts=dict(open_alerts), last_cleared=dict(last_cleared))
        fired, _, cleared = reconcile(hits, prior, today, RULES)
        for h in fired:
            open_alerts[h.trigger_id] = OpenAlert(h.trigger_id, today)
            log.append(("fired", offset))
        for trigger_id in cleared:
            del open_alerts[trigger_id]
            last_cleared[trigger_id] = today
            log.append(("cleared", offset))
    # Fires on day 0, clears on day 2, is true again on day 3 but cools down until day 9 (7 days after 2).
    assert log == [("fired", 0), ("cleared", 2), ("fired", 9), ("cleared", 10)]
