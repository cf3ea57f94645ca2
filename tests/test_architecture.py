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
