"""``reference``: the problem's gold figure code rendered in the sandbox.

An offline baseline: the bundled sample ships one hand-written script per problem, so a user
without a model key still gets a run to explore, and evaluators have an upper bound to compare
against. A problem without gold code fails with ``no_reference``.

Spec parameter ``backend`` ("matplotlib"): ``matplotlib`` renders ``Problem.reference_code``;
``tikz`` compiles the sample's gold TikZ figure (``data/sample/tikz/<id>.tex``, 24 problems). A
matplotlib spec is stored without the key, as before backends existed.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from core.generation.base import (
    FigureResult,
    GenerationContext,
    Generator,
    GeneratorKind,
    GeneratorSpec,
    register_generator,
)
from core.generation.rendering import (
    RENDER_DEFAULTS,
    check_params,
    failed_figure,
    figure_from_render,
    render_attempt,
    report_render,
)
from core.problems import Problem

__all__ = ["ReferenceGenerator"]


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
    takes_backend: ClassVar[bool] = True

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

    @classmethod
    def available_for(cls, problem: Problem) -> bool:
        """Only a problem with a gold script can be drawn from it."""
        return bool(problem.reference_code and problem.reference_code.strip())

    @property
    def uses_sandbox(self) -> bool:  # type: ignore[override]  # the backend decides, per spec
        return self.backend.uses_render_pool

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
