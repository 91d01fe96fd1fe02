"""The README's first command, `make demo`: `healthloop demo` runs the whole loop against the local HubSpot
sandbox (SQLite, in-process queue: no Redis) and tells a CSM's story; run here as a user runs it."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.integration.processes import HEALTHLOOP

pytestmark = pytest.mark.integration


def test_the_demo_runs_the_loop_end_to_end_and_exits(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEALTHLOOP_", "HUBSPOT_", "SALESFORCE_"))}
    env |= {"HEALTHLOOP_REDIS_URL": "redis://127.0.0.1:1/0", "COLUMNS": "160"}
    result = subprocess.run(
        [HEALTHLOOP, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Traceback" not in output
    assert "duplicates=1 (exactly once)" in output or "(exactly once)" in output
    tasks = re.search(r"of (\d+) open tasks: (\d+) have an owner, (\d+) are due after they were created, (\d+)", output)
    assert tasks is not None, output[-4000:]
    total, owned, later, clean = map(int, tasks.groups())
    assert total > 0 and owned == later == clean == total, tasks.group(0)
    assert re.search(r"Globex: Monitor \(\d+", output), "the fading headline account gets its tier's play"
    assert "`healthloop config suggest` on this data" in output and "meaningful:" in output
    assert (tmp_path / "healthloop-demo.db").exists()
