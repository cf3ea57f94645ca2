"""Fixtures for job tests: a temp workspace and store, stored problems, a shared render pool and
loopback model servers answering by the problem's ``[case:...]`` marker (see jobkit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.models.fake_server import FakeOpenAIServer
from core.problems.models import Problem
from core.store import Store
from core.workspace import Workspace
from tests.core.jobs.jobkit import make_problem, scripted_reply


@pytest.fixture(autouse=True)
def clean_env(model_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture
def server_defaults() -> dict[str, Any]:
    return {"reply": scripted_reply}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.from_env(tmp_path / "home").ensure()


@pytest.fixture
def store(workspace: Workspace) -> Store:
    return Store.open(workspace)


@pytest.fixture
def add_problems(store: Store) -> Callable[..., list[Problem]]:
    """``add_problems({"ok": 3, "raises": 1})`` or ``add_problems(["ok", "nocode"])`` -> stored problems."""

    def add(cases: dict[str, int] | list[str], prefix: str = "p") -> list[Problem]:
        names = [case for case, count in cases.items() for _ in range(count)] if isinstance(cases, dict) else cases
        problems = [make_problem(f"{prefix}{index:03d}-{case}", case) for index, case in enumerate(names)]
        store.upsert_problems(problems)
        return problems

    return add


@pytest.fixture(scope="module")
def render_pool() -> Iterator[Any]:
    from core.sandbox import RenderPool

    with RenderPool() as pool:
        yield pool


@pytest.fixture
def server(make_server: Callable[..., FakeOpenAIServer]) -> FakeOpenAIServer:
    return make_server()


