"""The pool from the caller's side: threads, asyncio, the module-level render(), restarts,
validation, and results that survive a JSON round trip."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import core.sandbox.pool as pool_module
from core.sandbox import (
    ErrorClass,
    RenderPool,
    RenderResult,
    SandboxConfig,
    SandboxUnavailable,
    check_isolation,
    render,
)

LIGHT = ("numpy", "matplotlib", "matplotlib.pyplot", "PIL.Image", "PIL.PngImagePlugin")


def titled(title: str) -> str:
    return f"import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title({title!r})\nplt.savefig('f.png')\n"


def test_renders_from_many_threads(pool):
    with ThreadPoolExecutor(max_workers=6) as executor:
        results = list(executor.map(lambda i: pool.render(titled(f"thread {i}")), range(8)))
    assert all(r.ok for r in results)
    assert [next(t.text for t in r.facts.texts if t.role == "title") for r in results] == [
        f"thread {i}" for i in range(8)
    ]


def test_renders_from_asyncio(pool):
    async def main() -> list[RenderResult]:
        return await asyncio.gather(*(pool.arender(titled(f"async {i}")) for i in range(4)))

    results = asyncio.run(main())
    assert all(r.ok for r in results)


def test_submit_returns_futures_in_parallel(pool):
    started = time.monotonic()
    futures = [pool.submit("import time\ntime.sleep(1.0)\n" + titled("slow")) for _ in range(2)]
    results = [f.result(timeout=30) for f in futures]
    assert all(r.ok for r in results)
    assert time.monotonic() - started < 1.95  # side by side; one after the other takes over 2 s


def test_module_level_render_and_check_use_the_default_pool(pool, monkeypatch):
    monkeypatch.setattr(pool_module, "_DEFAULT_POOL", pool)
    result = render(titled("default"), timeout_s=5, dpi=50)
    assert result.ok and result.facts.dpi == 50
    assert check_isolation().layer("fresh_process").active


def test_invalid_arguments_raise(pool):
    with pytest.raises(TypeError):
        pool.submit(b"print(1)")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pool.submit("x = 1\n" * 400_000)
    with pytest.raises(ValueError):
        pool.submit("x = 1", dpi=0)
    with pytest.raises(ValueError):
        pool.submit("x = 1", timeout_s=0)


def test_result_round_trips_through_json(pool):
    result = pool.render(titled("json"), svg=True)
    again = RenderResult.model_validate_json(result.model_dump_json())
    assert again == result and again.png == result.png


def test_warm_parent_death_gives_sandbox_error_then_restarts():
    with RenderPool(SandboxConfig(workers=1, preload=LIGHT)) as own:
        first_pid = own.pid
        pending = own.submit("import time\ntime.sleep(5)\n", timeout_s=20)
        time.sleep(0.3)
        os.kill(first_pid, signal.SIGKILL)
        result = pending.result(timeout=20)
        assert result.error_class == ErrorClass.sandbox_error
        again = own.render(titled("after restart"))
        assert again.ok and own.pid != first_pid and own.restarts == 1
    with pytest.raises(SandboxUnavailable):
        own.render(titled("closed"))


def test_pool_reports_memory_and_start_information(pool):
    assert pool.rss_bytes() > 10 * 1024 * 1024
    info = pool.info
    assert info["mode"] in ("root", "user", "off") and info["start_s"] > 0
    assert not [note for note in info["notes"] if "could not preload" in note]  # every library loaded


def test_warm_parent_environment_is_an_allow_list(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-pass")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    env = pool_module.sandbox_environment()
    assert "OPENAI_API_KEY" not in env and "HTTPS_PROXY" not in env and "PYTHONPATH" not in env
    assert env["MPLBACKEND"] == "Agg" and env["PYTHONHASHSEED"] == "0" and env["OPENBLAS_NUM_THREADS"] == "1"


def test_a_cancelled_render_does_not_break_the_pool(pool):
    # A job stopping (Ctrl-C, --max-cost) cancels renders in flight; their late results must be
    # dropped without killing the pool's result reader.
    slow = "import time\nimport matplotlib.pyplot as plt\ntime.sleep(0.5)\nplt.plot([1, 2])\nplt.savefig('f.png')\n"

    async def cancel_one() -> None:
        task = asyncio.ensure_future(pool.arender(slow))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_one())
    time.sleep(0.8)  # the cancelled render's result arrives meanwhile
    assert pool.render(titled("after a cancel"), timeout_s=20).ok
