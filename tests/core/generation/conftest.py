"""Fixtures for the generator tests: one sandbox pool for the session, loopback model servers,
clients with a temp cache and millisecond backoff, and problems built for the tests.

Nothing here is autouse (other generation tests share this folder); model tests ask for
``model_env`` to run without the developer's keys and config. Plain helpers (scripts, replies,
problems) live in ``generation_testkit.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.models import LedgerEntry, ModelClient, ModelProfile, ProfileConfig, ResponseCache
from core.models.fake_server import FakeOpenAIServer
from core.models.testing import FAST_RETRY, profile_for
from core.sandbox import RenderPool, SandboxConfig


@pytest.fixture(scope="session")
def render_pool() -> Iterator[RenderPool]:
    """One warm sandbox for the whole session (starting one takes a second or two)."""
    with RenderPool(SandboxConfig(workers=2)) as pool:
        yield pool


@pytest.fixture
def ledger() -> list[LedgerEntry]:
    return []


@pytest.fixture
def make_client(tmp_path: Path, ledger: list[LedgerEntry]) -> Callable[..., ModelClient]:
    """A client whose profiles are the ones given (by name), with a temp cache and fast retries."""

    def make(*profiles: ModelProfile, cache: bool = True) -> ModelClient:
        config = ProfileConfig(None, {profile.name: profile for profile in profiles}, {}, {})
        return ModelClient(
            cache=ResponseCache(tmp_path / "model-cache") if cache else False,
            retry=FAST_RETRY,
            on_ledger=ledger.append,
            config=config,
            seed=3,
        )

    return make


@pytest.fixture
def fake_profile() -> Callable[..., ModelProfile]:
    def make(server: FakeOpenAIServer, **fields: Any) -> ModelProfile:
        fields.setdefault("name", "fake")
        fields.setdefault("max_retries", 2)
        return profile_for(server, **fields)

    return make
