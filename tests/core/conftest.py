"""Fixtures shared by the library's tests: an environment without the developer's model keys,
and loopback OpenAI-compatible servers (each folder may set their default options)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.models.fake_server import FakeOpenAIServer

PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_API_BASE",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "SCIGEN_CONFIG",
)


@pytest.fixture
def model_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No provider keys or config from the developer's shell; cwd and $SCIGEN_HOME in a temp dir."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCIGEN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def server_defaults() -> dict[str, Any]:
    """Options every server of ``make_server`` starts with (a folder's conftest overrides this)."""
    return {}


@pytest.fixture
def make_server(server_defaults: dict[str, Any]) -> Iterator[Callable[..., FakeOpenAIServer]]:
    """Start loopback servers (``hang_s`` 10 unless set); all are stopped at the end of the test."""
    started: list[FakeOpenAIServer] = []

    def make(**options: Any) -> FakeOpenAIServer:
        server = FakeOpenAIServer(**{"hang_s": 10, **server_defaults, **options}).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
