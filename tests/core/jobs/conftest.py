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

_PROVIDER_ENV = ("OPENAI_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "GEMINI_API_KEY",
                 "GOOGLE_API_KEY", "SCIGEN_CONFIG")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCIGEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)


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
def make_server() -> Iterator[Callable[..., FakeOpenAIServer]]:
    started: list[FakeOpenAIServer] = []

    def make(**options: Any) -> FakeOpenAIServer:
        options.setdefault("reply", scripted_reply)
        options.setdefault("hang_s", 10)
        server = FakeOpenAIServer(**options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., FakeOpenAIServer]) -> FakeOpenAIServer:
    return make_server()


