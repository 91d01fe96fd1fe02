"""Architecture rules a test can hold.

The rooms of the code and the directions between them are written down once, in `ALLOWED`
below (docs/architecture.md draws the same table). Every import of every module, at module
level, inside functions or under `TYPE_CHECKING`, must follow a direction the table allows,
and no module may take part in an import circle. The pure core imports nothing outward.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

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


ROOMS: dict[str, set[str]] = {
    # room: the rooms it may import (its own modules always may import each other)
    "scoring": set(),
    "crm_adapters": set(),
    "connector": set(),  # the package itself: an empty __init__; every module lives in one of its rooms
    "crm_adapters.sandbox": {"crm_adapters"},
    "connector.errors": set(),
    "connector.events": set(),
    "connector.config": {"connector.errors", "connector.events", "scoring", "crm_adapters"},
    "connector.telemetry": {"connector.config", "connector.errors"},
    "connector.store": {"connector.config", "connector.errors"},
    "connector.ingest": {"connector.store", "connector.config", "connector.errors", "connector.events"},
    "connector.health": {"connector.ingest", "connector.store", "connector.config", "connector.errors", "scoring"},
    "connector.crm": {
        "connector.health", "connector.store", "connector.config", "connector.errors", "scoring", "crm_adapters",
    },
    "connector.measure": {"connector.health", "connector.store", "connector.config", "connector.errors", "scoring"},
    "connector.jobs": {
        "connector.crm", "connector.health", "connector.ingest", "connector.store", "connector.config",
        "connector.errors", "connector.events", "connector.telemetry", "scoring", "crm_adapters",
    },
    "connector.console": {
        "connector.health", "connector.measure", "connector.crm", "connector.jobs", "connector.ingest",
        "connector.store", "connector.config", "connector.errors", "connector.events", "scoring",
    },
    "webhooks": {
        "connector.console", "connector.jobs", "connector.health", "connector.ingest", "connector.store",
        "connector.config", "connector.errors", "connector.events", "connector.telemetry", "scoring",
    },
    # Entry points: they wire everything and nothing imports them (but the CLI imports the demo).
    "connector.demo": {
        "webhooks", "connector.jobs", "connector.measure", "connector.crm", "connector.health", "connector.ingest",
        "connector.store", "connector.config", "connector.errors", "connector.events", "connector.telemetry",
        "scoring", "crm_adapters", "crm_adapters.sandbox",
    },
    "connector.cli": {
        "connector.demo", "webhooks", "connector.console", "connector.jobs", "connector.measure", "connector.crm",
        "connector.health", "connector.ingest", "connector.store", "connector.config", "connector.errors",
        "connector.events", "connector.telemetry", "scoring", "crm_adapters", "crm_adapters.sandbox",
    },
}  # fmt: skip
PACKAGES = ("scoring", "crm_adapters", "connector", "webhooks")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an imported name lives in (`a.b.C` -> `a.b`), or None if it is not ours."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _project_imports(module: str) -> Iterator[str]:
    """Every project module `module` imports: at module level, in functions, under TYPE_CHECKING."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved and resolved != module:
                yield resolved


def _room(module: str) -> str:
    rooms = [room for room in ROOMS if module == room or module.startswith(room + ".")]
    assert rooms, f"{module} is in no room: add its package to ROOMS in {__file__}"
    return max(rooms, key=len)


def import_graph() -> dict[str, set[str]]:
    return {module: set(_project_imports(module)) for module in MODULES}


def illegal_imports(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        room = _room(module)
        for target in sorted(targets):
            other = _room(target)
            if other != room and other not in ROOMS[room]:
                allowed = ", ".join(sorted(ROOMS[room])) or "nothing"
                problems.append(f"{module} ({room}) imports {target} ({other}); {room} may import: {allowed}")
    return problems


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. every import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_every_module_of_connector_is_in_one_of_its_rooms():
    loose = [module for module in MODULES if _room(module) == "connector" and module != "connector"]
    assert not loose, f"modules outside every room of connector (add them to a room or to ROOMS): {loose}"


def test_the_room_table_itself_has_no_circle():
    rooms = {room: targets - {room} for room, targets in ROOMS.items()}
    assert not import_circles(rooms), import_circles(rooms)
    assert all(target in ROOMS for targets in rooms.values() for target in targets)


def test_every_import_follows_an_allowed_direction():
    problems = illegal_imports(import_graph())
    assert not problems, "imports against the directions in ROOMS:\n  " + "\n  ".join(problems)


def test_no_module_is_in_an_import_circle():
    circles = import_circles(import_graph())
    assert not circles, "import circles (break them by direction):\n  " + "\n  ".join(map(" -> ".join, circles))


def test_a_circle_or_a_wrong_direction_is_caught():
    graph = import_graph()
    graph["connector.store.models"] = graph["connector.store.models"] | {"connector.jobs.runtime"}
    assert any(
        "connector.store.models (connector.store) imports connector.jobs.runtime" in p for p in illegal_imports(graph)
    )
    assert any("connector.store.models" in circle for circle in import_circles(graph))


@pytest.mark.parametrize("package", sorted(p.parent for p in (ROOT / "connector").glob("*/__init__.py")))
def test_every_connector_room_says_what_it_owns_and_may_import(package: Path):
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    assert "May import" in docstring or "may import" in docstring, f"{package}/__init__.py: say what it may import"
