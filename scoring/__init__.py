"""The pure core: signals, score, tier, trend, triggers, playbooks, outcomes, calibration.

Plain data in, plain data out: no Flask, Redis, SQL, HTTP or clock reads (time is a
parameter). `tests/unit/test_layering.py` holds it to that rule.

- `scoring.rules` — the configurable rules (pydantic, defaults from the seeds);
- `scoring.model` — the plain input and output records;
- `scoring.signals` — Activity, Engagement, Milestones, Recency (each 0-100 or null);
- `scoring.score` — the renormalised weighted score, its tier and trend;
- `scoring.triggers` — the eleven triggers, each with evidence and a story;
- `scoring.alerts` — open / still open / cleared / cooling down;
- `scoring.playbook` — the intervention each new alert or tier episode calls for, raised by what is at stake;
- `scoring.story` and `scoring.labels` — its story as data, trigger names and evidence in words;
- `scoring.assess` — `assess()`, all of the above for one account and day.

The formulas are written out in `docs/scoring.md`.
"""

from __future__ import annotations

from scoring.assess import assess

__all__ = ["assess"]
