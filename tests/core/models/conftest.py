"""Fixtures for the model layer: a clean environment, a loopback OpenAI-compatible server,
and a client with a temp cache and millisecond backoff (keeps the suite fast)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.models import LedgerEntry, ModelClient, ResponseCache
from core.models.fake_server import FakeOpenAIServer
from core.models.testing import FAST_RETRY

_PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_API_BASE",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "SCIGEN_CONFIG",
)


@pytest.fixture(autouse=True)
def clean_model_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No provider keys or config from the developer's shell; cwd and $SCIGEN_HOME in a temp dir."""
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCIGEN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(reply="pong", hang_s=10) as fake:
        yield fake


@pytest.fixture
def make_server() -> Iterator[Callable[..., FakeOpenAIServer]]:
    """Start servers with custom options; all are stopped at the end of the test."""
    started: list[FakeOpenAIServer] = []

    def make(**options: Any) -> FakeOpenAIServer:
        options.setdefault("hang_s", 10)
        options.setdefault("reply", "pong")
        fake = FakeOpenAIServer(**options).start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture
def ledger() -> list[LedgerEntry]:
    return []


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "model-cache"


@pytest.fixture
def client(cache_dir: Path, ledger: list[LedgerEntry]) -> Iterator[ModelClient]:
    with ModelClient(
        cache=ResponseCache(cache_dir), retry=FAST_RETRY, on_ledger=ledger.append, seed=7
    ) as made:
        yield made
