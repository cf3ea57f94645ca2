"""The house rules, checked on the source: who may import whom, where SQL lives, how tables show.

Read with ``ast`` (nothing is imported), so a rule broken in a file no test runs still fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|DELETE\s+FROM|CREATE\s+TABLE|UPDATE\s+\w+\s+SET)\b", re.I | re.S)


def python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_the_rule_helpers_see_what_they_look_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('import streamlit as st\nfrom pages import x\nQUERY = "SELECT a FROM t"\n', encoding="utf-8")
    assert imported_modules(sample) == {"streamlit", "pages"}
    assert any(SQL.search(text) for text in string_constants(sample))


def test_core_never_imports_streamlit():
    offenders = [
        str(path.relative_to(ROOT)) for path in python_files("core")
        if any(name == "streamlit" or name.startswith("streamlit.") for name in imported_modules(path))
    ]
    assert python_files("core") and not offenders


def test_nothing_imports_pages():
    files = [*python_files("core", "dashboard", "app_pages", "tests", "bench"), ROOT / "streamlit_app.py"]
    offenders = [
        str(path.relative_to(ROOT)) for path in files
        if any(name == "app_pages" or name.startswith("app_pages.") for name in imported_modules(path))
    ]
    assert python_files("app_pages") and not offenders


def test_sql_lives_in_core_store_only():
    offenders = [
        str(path.relative_to(ROOT)) for path in python_files("core", "dashboard", "app_pages")
        if not path.is_relative_to(ROOT / "core" / "store")
        and any(SQL.search(text) for text in string_constants(path))
    ]
    assert not offenders


def test_pages_and_components_draw_tables_through_data_table():
    # data_table shows "—" for a missing value; a bare st.dataframe shows a faint "None".
    offenders = [
        str(path.relative_to(ROOT)) for path in python_files("dashboard", "app_pages")
        if path.name != "tables.py" and "st.dataframe(" in path.read_text(encoding="utf-8")
    ]
    assert not offenders


# ---- layering of core/ -------------------------------------------------------------------------------

ROOMS: dict[str, frozenset[str]] = {
    "problems": frozenset(),
    "store": frozenset({"problems"}),
    "sandbox": frozenset(),
    "models": frozenset(),
    "generation": frozenset({"problems", "sandbox", "models"}),
    "evaluation": frozenset({"problems", "sandbox", "models"}),
    "jobs": frozenset({"store", "problems", "sandbox", "models", "generation", "evaluation"}),
    # Downstream of evaluation: masking reuses its text matching, the report its correlations.
    "export": frozenset({"store", "problems", "generation", "evaluation"}),
    "seed": frozenset({"store", "problems", "sandbox", "generation", "evaluation", "jobs"}),
    # Human ratings and their agreement with the judges (agreement reuses evaluation's alpha).
    "review": frozenset({"problems", "store", "evaluation"}),
    # Results made elsewhere (the official SciGenBench code's CSVs) stored as runs.
    "importing": frozenset({"store", "problems", "sandbox", "models", "generation", "evaluation", "jobs"}),
    # The same stages streamed on Ray; the store only reads its datasets in place (in core/store/).
    "engine": frozenset({"problems", "sandbox", "models", "generation", "evaluation", "export"}),
    "cli": frozenset({"problems", "store", "sandbox", "models", "generation", "evaluation", "jobs", "export", "seed",
                      "review", "importing", "engine"}),
    "__main__": frozenset({"cli"}),
}
"""Each room of core/ and the rooms it may import (DESIGN.md's table, as built). Data flows one way:
nothing imports a room further down this list, except the command line."""
LEAVES = frozenset({"core", "metrics", "protocols", "specs", "files", "workspace", "version", "torchvision_guard",
                    "serving"})
"""Modules with no project imports of their own (beyond other leaves), usable from every room."""


def core_modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module under ``root/core``."""
    modules = {}
    for path in sorted((root / "core").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_edges(root: Path) -> list[tuple[str, str, Path, int]]:
    """(importer, imported core module, file, line) for every import in core/, function-level ones
    included (a deferred import still ties the two modules together)."""
    modules = core_modules(root)

    def resolve(target: str) -> str | None:
        parts = target.split(".")
        for end in range(len(parts), 0, -1):
            if ".".join(parts[:end]) in modules:
                return ".".join(parts[:end])
        return None

    edges = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in {resolve(t) for t in targets if t == "core" or t.startswith("core.")} - {None, name}:
                edges.append((name, target, path, node.lineno))
    return edges


def room_of(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def layering_violations(root: Path) -> list[str]:
    """Every import in core/ that goes up or sideways in :data:`ROOMS`, as 'file:line: a imports b'."""
    found = []
    for importer, imported, path, line in import_edges(root):
        source, target = room_of(importer), room_of(imported)
        if source == target or target in LEAVES and (source in ROOMS or source in LEAVES):
            if source in LEAVES and target not in LEAVES:
                found.append(f"{path.relative_to(root)}:{line}: leaf {importer} imports {imported}")
            continue
        if source in LEAVES or source not in ROOMS or target not in ROOMS[source]:
            found.append(f"{path.relative_to(root)}:{line}: {importer} ({source}) imports {imported} ({target})")
    return sorted(found)


def import_cycles(root: Path) -> list[str]:
    """Strongly connected groups of core modules, each with the imports that close it."""
    edges = import_edges(root)
    graph: dict[str, set[str]] = {}
    for importer, imported, _, _ in edges:
        graph.setdefault(importer, set()).add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [
        "cycle: " + "; ".join(
            f"{path.relative_to(root)}:{line} {a} -> {b}" for a, b, path, line in edges if a in group and b in group
        )
        for group in groups
    ]


def test_core_rooms_import_only_downward():
    assert layering_violations(ROOT) == []


def test_core_has_no_import_cycles():
    assert import_cycles(ROOT) == []


def test_an_upward_import_or_a_cycle_is_reported_with_file_and_line(tmp_path):
    tree = {
        "core/__init__.py": "",
        "core/problems/__init__.py": "",
        "core/problems/models.py": "import json\nfrom core.store.records import Run  # upward\n",
        "core/store/__init__.py": "",
        "core/store/records.py": "from core.problems.models import Problem\n",
        "core/sandbox/__init__.py": "",
        "core/sandbox/a.py": "def late():\n    from core.sandbox import b  # a deferred import still counts\n",
        "core/sandbox/b.py": "from core.sandbox.a import late\n",
    }
    for name, text in tree.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert layering_violations(tmp_path) == [
        "core/problems/models.py:2: core.problems.models (problems) imports core.store.records (store)"
    ]
    cycles = sorted(import_cycles(tmp_path))
    assert len(cycles) == 2
    assert "core/problems/models.py:2 core.problems.models -> core.store.records" in cycles[0]
    assert "core/sandbox/a.py:2 core.sandbox.a -> core.sandbox.b" in cycles[1]


def test_core_never_imports_the_dashboard():
    offenders = [
        str(path.relative_to(ROOT)) for path in python_files("core")
        if any(name == "dashboard" or name.startswith("dashboard.") for name in imported_modules(path))
    ]
    assert not offenders
