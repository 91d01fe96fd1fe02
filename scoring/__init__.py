"""The pure core: signals, score, tier, trend, triggers, playbooks, outcomes, calibration.

Plain data in, plain data out: no Flask, Redis, SQL, HTTP or clock reads (time is a
parameter). Its contents arrive with the scoring issue; `tests/unit/test_layering.py`
already holds it to that rule.
"""
