"""Architecture rules a test can hold: the pure core imports nothing outward."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_SCORING = {
    "flask",
    "rq",
    "redis",
    "sqlalchemy",
    "hubspot",
    "simple_salesforce",
    "requests",
    "connector",
    "webhooks",
    "crm_adapters",
    "alembic",
    "psycopg",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_scoring_is_pure():
    for path in (ROOT / "scoring").rglob("*.py"):
        assert not (_imports(path) & FORBIDDEN_IN_SCORING), f"{path} imports {_imports(path) & FORBIDDEN_IN_SCORING}"


def test_only_crm_adapters_import_crm_client_libraries():
    for package in ("connector", "scoring"):
        for path in (ROOT / package).rglob("*.py"):
            assert not (_imports(path) & {"simple_salesforce"}), path


def test_nothing_reads_the_environment_at_import_time():
    # Settings are read by `load_settings()` when called; a module-level os.environ read would
    # freeze configuration at import time.
    for package in ("connector", "webhooks", "scoring", "crm_adapters"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in tree.body:
                if isinstance(node, ast.Assign | ast.AnnAssign) and "environ" in ast.unparse(node):
                    raise AssertionError(f"{path}: module-level environment read: {ast.unparse(node)}")
