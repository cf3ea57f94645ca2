"""Helpers for tests and benchmarks that drive the model layer against ``fake_server``.

Kept in the library (not in a conftest) so generation and evaluation tests, and ``bench/``
scripts, build profiles and clients the same way.
"""

from __future__ import annotations

import socket
from typing import Any

from core.models.client import RetryPolicy
from core.models.fake_server import FakeOpenAIServer
from core.models.profiles import ModelProfile

__all__ = ["FAST_RETRY", "closed_port", "profile_for"]

# Millisecond backoff: retries are exercised without slowing a test suite down.
FAST_RETRY = RetryPolicy(base_delay_s=0.005, max_delay_s=0.02, jitter=0.5, max_retry_after_s=0.02)


def profile_for(server: FakeOpenAIServer, model: str = "openai/fake-model", **fields: Any) -> ModelProfile:
    """A profile calling ``server`` (``openai/<name>`` + its ``api_base``), 5 s timeout unless given."""
    fields.setdefault("timeout_s", 5.0)
    fields.setdefault("max_retries", 3)
    return ModelProfile(name=fields.pop("name", "fake"), model=model, api_base=server.api_base, **fields)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released): "server down" on demand."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
