"""``reference``: the problem's gold script (``Problem.reference_code``) rendered in the sandbox.

An offline baseline: the bundled sample ships one hand-written script per problem, so a user
without a model key still gets a run to explore, and evaluators have an upper bound to compare
against. A problem without a gold script fails with ``no_reference``.
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
    render_script,
    report_render,
)
from core.problems import Problem

__all__ = ["ReferenceGenerator"]


@register_generator
class ReferenceGenerator(Generator):
    """Renders the problem's gold script in the sandbox (offline; no model)."""

    name: ClassVar[str] = "reference"
    kind: ClassVar[GeneratorKind] = "baseline"
    label: ClassVar[str] = "reference (gold scripts of the bundled sample)"
    needs_model: ClassVar[bool] = False

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        self.settings = check_params(spec, RENDER_DEFAULTS)

    @classmethod
    def complete_spec(cls, spec: GeneratorSpec, *, config: Any = None, home: Any = None) -> GeneratorSpec:
        """``spec`` with every default written out."""
        return GeneratorSpec.create(spec.name, **check_params(spec, RENDER_DEFAULTS))

    @classmethod
    def available_for(cls, problem: Problem) -> bool:
        """Only a problem with a gold script can be drawn from it."""
        return bool(problem.reference_code and problem.reference_code.strip())

    async def generate(self, problem: Problem, ctx: GenerationContext) -> FigureResult:
        started = time.monotonic()
        code = problem.reference_code
        if not code or not code.strip():
            return failed_figure(
                problem, "no_reference", f"problem {problem.uid} has no reference script", started
            )
        if ctx.render_pool is None:
            return failed_figure(problem, "no_sandbox", "no render pool in the generation context", started)
        ctx.report("code", "The problem's gold script (no model)", status="ok", detail=code)
        ctx.report("render", "Rendering the script in the sandbox")
        render = await render_script(
            ctx.render_pool,
            code,
            dpi=self.settings["dpi"],
            timeout_s=self.settings["timeout_s"],
            memory_mb=self.settings["memory_mb"],
            svg=self.settings["svg"],
        )
        attempt = render_attempt(0, code, render, parse_notes=["the problem's reference script"])
        report_render(ctx, attempt, 0)
        return figure_from_render(problem, render, [attempt], started, code=code)
