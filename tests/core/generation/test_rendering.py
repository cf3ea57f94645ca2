"""The helpers every code-rendering generator shares (no sandbox needed: a pool double)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future

import pytest

from core.generation.base import GeneratorSpec
from core.generation.rendering import (
    RENDER_DEFAULTS,
    check_params,
    failed_figure,
    figure_from_render,
    render_attempt,
    render_script,
)
from core.problems import Problem
from core.sandbox.models import ErrorClass, RenderResult


class _ScriptedPool:
    """Answers ``submit`` with the next result; counts the calls."""

    def __init__(self, *results: RenderResult | Exception) -> None:
        self.results = list(results)
        self.calls = 0

    def submit(self, code: str, **settings: object) -> Future:
        self.calls += 1
        outcome = self.results.pop(0)
        if isinstance(outcome, ValueError):
            raise outcome
        future: Future = Future()
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
        return future


def _render(pool: _ScriptedPool) -> RenderResult:
    return asyncio.run(render_script(pool, "print(1)", dpi=100, timeout_s=5, memory_mb=256))


def test_parameters_over_defaults_and_bad_ones_refused() -> None:
    assert check_params(GeneratorSpec.create("reference", dpi=90), RENDER_DEFAULTS)["dpi"] == 90
    with pytest.raises(ValueError, match="unknown parameter"):
        check_params(GeneratorSpec.create("reference", colour="red"), RENDER_DEFAULTS)
    with pytest.raises(ValueError, match="dpi must be"):
        check_params(GeneratorSpec.create("reference", dpi=0), RENDER_DEFAULTS)
    with pytest.raises(ValueError, match="required"):
        check_params(GeneratorSpec.create("pixel"), {}, required=("model",))


def test_a_sandbox_error_is_retried_once_and_a_script_error_is_not() -> None:
    sandbox_error = RenderResult(status="error", error_class=ErrorClass.sandbox_error, error="worker died")
    ok = RenderResult(status="ok", png=b"png")
    pool = _ScriptedPool(sandbox_error, ok)
    assert _render(pool).ok and pool.calls == 2
    script_error = RenderResult(status="error", error_class=ErrorClass.syntax_error, error="bad", error_line=3)
    pool = _ScriptedPool(script_error)
    assert _render(pool).error_class == ErrorClass.syntax_error and pool.calls == 1


def test_a_refused_or_unavailable_sandbox_is_reported_never_raised() -> None:
    refused = _render(_ScriptedPool(ValueError("code too large")))
    assert refused.error_class == ErrorClass.sandbox_error and "refused" in (refused.error or "")
    down = _render(_ScriptedPool(RuntimeError("gone"), RuntimeError("gone")))
    assert down.error_class == ErrorClass.sandbox_error and "unavailable" in (down.error or "")


def test_renders_become_attempts_and_figures() -> None:
    problem = Problem(id="p1", source="custom", question="Draw a circle.", subject="Physics")
    failed = RenderResult(status="error", error_class=ErrorClass.runtime_error, error="boom", error_line=4)
    attempt = render_attempt(0, "code", failed)
    assert (attempt.status, attempt.error_class, attempt.error_message) == ("failed", "runtime_error", "boom (line 4)")
    figure = figure_from_render(problem, failed, [attempt], time.monotonic(), code="code")
    assert figure.status == "failed" and figure.error_class == "runtime_error"
    ok = RenderResult(status="ok", png=b"png", svg="<svg/>")
    figure = figure_from_render(problem, ok, [render_attempt(0, "code", ok)], time.monotonic())
    assert figure.status == "ok" and figure.image == b"png" and figure.svg == b"<svg/>"
    assert failed_figure(problem, "no_reference", "none", time.monotonic()).error_class == "no_reference"
