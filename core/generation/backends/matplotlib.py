"""``matplotlib``: a Python script rendered by the sandbox's warm Python pool (``ctx.render_pool``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from core.generation.backends.base import Backend, register_backend
from core.generation.parsing import ParsedReply, parse_reply
from core.generation.prompts import PROMPT_VERSION

if TYPE_CHECKING:
    from core.generation.base import GenerationContext
    from core.problems import Problem
    from core.sandbox.models import RenderResult


@register_backend
class MatplotlibBackend(Backend):
    name: ClassVar[str] = "matplotlib"
    uses_render_pool = True
    label: ClassVar[str] = "Python (Matplotlib and the sandbox's libraries)"
    short_label: ClassVar[str] = "Matplotlib"
    file_extension: ClassVar[str] = ".py"
    prompt_version: ClassVar[str] = PROMPT_VERSION

    def parse(self, text: str | None, *, truncated: bool = False) -> ParsedReply:
        return parse_reply(text, truncated=truncated)

    def unavailable(self, ctx: GenerationContext) -> tuple[str, str] | None:
        if ctx.render_pool is None:
            return "no_sandbox", "no render pool in the generation context"
        return None

    async def render(self, ctx: GenerationContext, code: str, *, dpi: float | None, timeout_s: float,
                     memory_mb: int, svg: bool = False) -> RenderResult:
        from core.generation.rendering import render_script

        assert ctx.render_pool is not None
        return await render_script(ctx.render_pool, code, dpi=dpi, timeout_s=timeout_s, memory_mb=memory_mb, svg=svg)

    def reference_code(self, problem: Problem) -> str | None:
        return problem.reference_code
