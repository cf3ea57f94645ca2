"""What every code-rendering generator shares: sandbox settings, spec-parameter checks, the one
way to render a script (:func:`render_script`), and turning renders into attempts and figures.

ImgCoder, text-card and reference render code through it; the pixel generator uses its parameter
check and failure record.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from core.generation.base import AttemptRecord, FigureResult, GenerationContext, GeneratorSpec
from core.problems import Problem
from core.sandbox.models import ErrorClass, RenderResult

if TYPE_CHECKING:
    from core.sandbox import RenderPool

__all__ = [
    "RENDER_DEFAULTS",
    "check_params",
    "failed_figure",
    "figure_from_render",
    "render_attempt",
    "render_script",
    "report_render",
]

RENDER_DEFAULTS: dict[str, Any] = {"dpi": 150, "timeout_s": 20.0, "memory_mb": 1024, "svg": False}
"""Sandbox settings shared by the code-rendering generators (spec parameters of the same names):
``dpi`` (None: the script's own), ``timeout_s`` (wall-clock limit per render), ``memory_mb``,
``svg`` (also keep an SVG of the figure)."""


def check_params(
    spec: GeneratorSpec, defaults: dict[str, Any], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The spec's parameters over ``defaults``; unknown or missing ones raise ValueError."""
    given = dict(spec.params)
    unknown = sorted(set(given) - set(defaults) - set(required))
    if unknown:
        known = ", ".join(sorted({*defaults, *required}))
        raise ValueError(
            f"generator {spec.name!r}: unknown parameter(s) {', '.join(unknown)} (known: {known})"
        )
    missing = [name for name in required if given.get(name) in (None, "")]
    if missing:
        raise ValueError(f"generator {spec.name!r}: parameter(s) {', '.join(missing)} required")
    values = {**defaults, **given}
    if values.get("dpi") is not None and not (
        isinstance(values["dpi"], int | float) and 1 <= values["dpi"] <= 2400
    ):
        raise ValueError(
            f"generator {spec.name!r}: dpi must be a number between 1 and 2400, got {values['dpi']!r}"
        )
    if "timeout_s" in values and not (
        isinstance(values["timeout_s"], int | float) and values["timeout_s"] > 0
    ):
        raise ValueError(f"generator {spec.name!r}: timeout_s must be > 0, got {values['timeout_s']!r}")
    if "memory_mb" in values and not (isinstance(values["memory_mb"], int) and values["memory_mb"] >= 64):
        raise ValueError(
            f"generator {spec.name!r}: memory_mb must be an integer >= 64, got {values['memory_mb']!r}"
        )
    return values


def _sandbox_failure(message: str) -> RenderResult:
    return RenderResult(status="error", error_class=ErrorClass.sandbox_error, error=message)


async def render_script(
    pool: RenderPool, code: str, *, dpi: float | None, timeout_s: float, memory_mb: int, svg: bool = False
) -> RenderResult:
    """Render ``code`` in the sandbox; never raises for anything the script does.

    A ``sandbox_error`` (the renderer's fault, not the script's) is retried once. Cancelling the
    caller (a job stopping) does not cancel the pool's future: the render finishes in the
    sandbox and its result is dropped, so the pool's result reader never sees a cancelled future.
    """
    result = _sandbox_failure("not rendered")
    for _ in range(2):
        try:
            future = pool.submit(code, timeout_s=timeout_s, memory_mb=memory_mb, dpi=dpi, svg=svg)
            result = await asyncio.shield(asyncio.wrap_future(future))
        except (ValueError, TypeError) as exc:  # code too large, bad settings: retrying will not help
            return _sandbox_failure(f"the sandbox refused the script: {exc}")
        except Exception as exc:  # noqa: BLE001 - SandboxUnavailable and friends: report, never raise
            result = _sandbox_failure(f"the sandbox is unavailable: {type(exc).__name__}: {exc}")
            continue
        if result.error_class != ErrorClass.sandbox_error:
            return result
    return result


def render_attempt(index: int, code: str, render: RenderResult, **fields: Any) -> AttemptRecord:
    """The attempt record of one render (ok or failed), with the sandbox's error details."""
    return AttemptRecord(
        index=index,
        code=code,
        status="ok" if render.ok else "failed",
        error_class=None
        if render.ok
        else str(render.error_class.value if render.error_class else "sandbox_error"),
        error_message=None if render.ok else _one_line(render),
        traceback_tail=None if render.ok else render.traceback_tail,
        render_s=render.duration_s,
        **fields,
    )


def report_render(ctx: GenerationContext, attempt: AttemptRecord, index: int) -> None:
    """Report how an attempt's render ended to ``ctx.on_step`` (the live view)."""
    if attempt.status == "ok":
        took = f" in {attempt.render_s:.1f} s" if attempt.render_s is not None else ""
        ctx.report("render", f"Rendered{took}", status="ok", attempt=index)
    else:
        ctx.report(
            "render", f"Render failed: {attempt.error_class}: {attempt.error_message or ''}".rstrip(": "),
            status="failed", attempt=index,
        )


def _one_line(render: RenderResult) -> str:
    where = f" (line {render.error_line})" if render.error_line else ""
    return f"{render.error or render.error_class}{where}"


def figure_from_render(
    problem: Problem,
    render: RenderResult,
    attempts: list[AttemptRecord],
    started: float,
    *,
    plan: str | None = None,
    code: str | None = None,
    notes: list[str] | None = None,
) -> FigureResult:
    """The FigureResult of a generation whose final attempt is ``render``."""
    if render.ok:
        return FigureResult(
            problem_uid=problem.uid,
            status="ok",
            image=render.png,
            svg=render.svg.encode("utf-8") if render.svg else None,
            plan=plan,
            code=code,
            facts=render.facts,
            attempts=attempts,
            latency_s=time.monotonic() - started,
            notes=list(notes or []),
        )
    return FigureResult(
        problem_uid=problem.uid,
        status="failed",
        plan=plan,
        code=code,
        attempts=attempts,
        error_class=attempts[-1].error_class if attempts else "sandbox_error",
        error_message=attempts[-1].error_message if attempts else render.error,
        latency_s=time.monotonic() - started,
        notes=list(notes or []),
    )


def failed_figure(
    problem: Problem,
    error_class: str,
    message: str,
    started: float,
    *,
    attempts: list[AttemptRecord] | None = None,
    notes: list[str] | None = None,
    plan: str | None = None,
    code: str | None = None,
) -> FigureResult:
    return FigureResult(
        problem_uid=problem.uid,
        status="failed",
        error_class=error_class,
        error_message=message,
        attempts=list(attempts or []),
        latency_s=time.monotonic() - started,
        notes=list(notes or []),
        plan=plan,
        code=code,
    )
