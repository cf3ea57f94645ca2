"""Shared sandbox pools and helpers for the sandbox tests (a warm parent takes a second or two to
start, so the pools live for the whole session).

* ``pool``: every layer on, started while fake API keys sit in the test's environment.
* ``kernel_pool``: the audit hooks off, so tests see the kernel layers hold on their own.
* ``hooks_pool``: namespaces and user switching off, so tests see the audit hooks hold on their own.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator

import pytest

from core.sandbox import RenderPool, RenderResult, SandboxConfig

CANARY_ENV = {
    "OPENAI_API_KEY": "sk-canary-sandbox-0123456789",
    "ANTHROPIC_API_KEY": "sk-ant-canary-sandbox",
    "SCIGEN_TEST_TOKEN": "tok-canary-sandbox",
}

SIMPLE_FIGURE = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 1, 2], [0, 1, 4])
ax.set_title("ok")
fig.savefig("figure.png")
"""


# Pools that only run small probing scripts import less, so they start faster.
LIGHT_PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "PIL.Image", "PIL.PngImagePlugin")


def _start(config: SandboxConfig) -> RenderPool:
    saved = {name: os.environ.get(name) for name in CANARY_ENV}
    os.environ.update(CANARY_ENV)
    try:
        return RenderPool(config)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def canary_env() -> dict[str, str]:
    """Fake secrets present in the host's environment when the pools started."""
    return dict(CANARY_ENV)


@pytest.fixture(scope="session")
def pool() -> Iterator[RenderPool]:
    started = _start(SandboxConfig(workers=2))
    yield started
    started.close()


@pytest.fixture(scope="session")
def kernel_pool() -> Iterator[RenderPool]:
    started = _start(SandboxConfig(workers=2, audit_hooks=False, preload=LIGHT_PRELOAD))
    if started.info.get("mode") not in ("root", "user"):
        started.close()
        pytest.skip("namespaces are not available on this machine: kernel layers cannot be tested")
    yield started
    started.close()


@pytest.fixture(scope="session")
def hooks_pool() -> Iterator[RenderPool]:
    started = _start(SandboxConfig(workers=2, namespaces="off", drop_privileges=False, preload=LIGHT_PRELOAD))
    yield started
    started.close()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1 run by the test."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(scope="session")
def connections() -> Callable[[socket.socket], int]:
    """How many connections arrived at a (non-blocking) listener so far."""

    def count(server: socket.socket) -> int:
        arrived = 0
        while True:
            try:
                conn, _ = server.accept()
            except (BlockingIOError, OSError):
                return arrived
            conn.close()
            arrived += 1

    return count


@pytest.fixture(scope="session")
def still_works() -> Callable[[RenderPool], RenderResult]:
    """Assert the host is alive and the next normal render succeeds."""

    def check(pool: RenderPool) -> RenderResult:
        assert pool.pid is not None
        os.kill(pool.pid, 0)
        result = pool.render(SIMPLE_FIGURE)
        assert result.ok, result.one_line()
        assert result.png is not None and result.png.startswith(b"\x89PNG")
        return result

    return check


@pytest.fixture(scope="session")
def tex(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A TeX renderer (two workers, every layer on) with its format cached in a temporary folder."""
    from core.sandbox.tex import TexRenderer, find_tex

    if find_tex() is None:
        pytest.skip("TeX is not installed here")
    saved = {name: os.environ.get(name) for name in CANARY_ENV}
    os.environ.update(CANARY_ENV)
    try:
        renderer = TexRenderer(SandboxConfig(workers=2), cache_dir=tmp_path_factory.mktemp("tex-cache"))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield renderer
    renderer.close()
