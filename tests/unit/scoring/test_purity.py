"""The scoring core never reads the clock: time is always a parameter."""

from __future__ import annotations

import ast
from pathlib import Path

SCORING = Path(__file__).resolve().parents[3] / "scoring"
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
CLOCK_READS |= {("time", name) for name in ("time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime")}


def clock_reads(source: str) -> list[str]:
    """Every `x.y(...)` call (or `from x import y`) in `source` that reads the clock."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in CLOCK_READS:
                found.append(ast.unparse(node))
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [f"from time import {alias.name}" for alias in node.names]
    return found


def test_the_purity_check_catches_clock_reads():
    source = "x = datetime.datetime.now()\ny = date.today()\nz = time.time()\nw = day.replace(day=1)"
    assert clock_reads(source) == ["datetime.datetime.now()", "date.today()", "time.time()"]
    assert clock_reads("from time import monotonic") == ["from time import monotonic"]


def test_scoring_never_reads_the_clock():
    paths = sorted(SCORING.rglob("*.py"))
    assert paths, SCORING
    for path in paths:
        assert clock_reads(path.read_text()) == [], path
