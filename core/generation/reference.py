"""``reference``: the problem's gold figure code rendered in the sandbox.

An offline baseline: the bundled sample ships one hand-written script per problem, so a user
without a model key still gets a run to explore, and evaluators have an upper bound to compare
against. A problem without gold code fails with ``no_reference``.

Spec parameter ``backend`` ("matplotlib"): ``matplotlib`` renders ``Problem.reference_code``;
``tikz`` compiles the sample's gold TikZ figure (``data/sample/tikz/<id>.tex``, 24 problems). A
matplotlib spec is stored without the key, as before backends existed.

This module also holds :func:`render_script`, the one way the generators render code in the
sandbox (ImgCoder and text-card use it too).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, ClassVar

from core.generation.base import (
    AttemptRecord,
    FigureResult,
    GenerationContext,
    Generator,
    GeneratorKind,
    GeneratorSpec,
    register_generator,
)
from core.problems import Problem
from core.sandbox.models import ErrorClass, RenderResult

if TYPE_CHECKING:
    from core.sandbox import RenderPool

__all__ = ["RENDER_DEFAULTS", "ReferenceGenerator", "check_params", "render_script", "report_render"]

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


REFERENCE_DEFAULTS: dict[str, Any] = {**RENDER_DEFAULTS, "backend": "matplotlib"}


def _reference_settings(spec: GeneratorSpec) -> dict[str, Any]:
    from core.generation.backends import get_backend

    values = check_params(spec, REFERENCE_DEFAULTS)
    try:
        get_backend(values["backend"])
    except ValueError as exc:
        raise ValueError(f"generator 'reference': {exc}") from None
    return values


@register_generator
class ReferenceGenerator(Generator):
    """Renders the problem's gold script in the sandbox (offline; no model)."""

    name: ClassVar[str] = "reference"
    kind: ClassVar[GeneratorKind] = "baseline"
    label: ClassVar[str] = "reference (gold scripts of the bundled sample)"
    needs_model: ClassVar[bool] = False

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        from core.generation.backends import get_backend

        self.settings = _reference_settings(spec)
        self.backend = get_backend(self.settings["backend"])

    @classmethod
    def complete_spec(cls, spec: GeneratorSpec, *, config: Any = None, home: Any = None) -> GeneratorSpec:
        """``spec`` with every default written out (a matplotlib backend is left implicit)."""
        values = _reference_settings(spec)
        if values["backend"] == "matplotlib":
            del values["backend"]
        return GeneratorSpec.create(spec.name, **values)

    async def generate(self, problem: Problem, ctx: GenerationContext) -> FigureResult:
        started = time.monotonic()
        code = self.backend.reference_code(problem)
        kind = "script" if self.backend.name == "matplotlib" else f"{self.backend.name} figure"
        if not code or not code.strip():
            return failed_figure(
                problem, "no_reference", f"problem {problem.uid} has no reference {kind}", started
            )
        missing = self.backend.unavailable(ctx)
        if missing is not None:
            return failed_figure(problem, missing[0], missing[1], started)
        ctx.report("code", f"The problem's gold {kind} (no model)", status="ok", detail=code)
        ctx.report("render", f"Rendering the {kind} in the sandbox")
        render = await self.backend.render(
            ctx,
            code,
            dpi=self.settings["dpi"],
            timeout_s=self.settings["timeout_s"],
            memory_mb=self.settings["memory_mb"],
            svg=self.settings["svg"],
        )
        attempt = render_attempt(0, code, render, parse_notes=[f"the problem's reference {kind}"])
        report_render(ctx, attempt, 0)
        return figure_from_render(problem, render, [attempt], started, code=code)
