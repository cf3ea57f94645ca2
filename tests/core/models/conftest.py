"""Fixtures for the model layer: a clean environment, a loopback OpenAI-compatible server,
and a client with a temp cache and millisecond backoff (keeps the suite fast)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.models import LedgerEntry, ModelClient, ResponseCache
from core.models.fake_server import FakeOpenAIServer
from core.models.testing import FAST_RETRY


@pytest.fixture(autouse=True)
def clean_model_env(model_env: None) -> None:
    """Every model test runs without the developer's keys and config (see tests/core/conftest.py)."""


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(reply="pong", hang_s=10) as fake:
        yield fake


@pytest.fixture
def server_defaults() -> dict[str, Any]:
    return {"reply": "pong"}


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
