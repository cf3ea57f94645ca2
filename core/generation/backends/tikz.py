"""``tikz``: a TikZ picture (or a whole LaTeX document) compiled in the TeX sandbox.

The renderer is ``ctx.extras["tex_renderer"]`` when the caller provides one (tests, a job that
owns one), else the process-wide :func:`core.sandbox.tex.default_tex_renderer`, its format cached
in ``ctx.extras["tex_cache_dir"]`` (the jobs pass the workspace's ``cache/tex``). Where TeX is not installed every render fails with
``no_sandbox`` and the one line saying what to install.

Reply parsing (:func:`parse_tikz_reply`), in order:

1. Candidates are the complete fenced blocks in latex/tex/tikz (or no language) holding TeX
   (``\\begin{...}``, ``\\draw``, ``\\tikz``, ``\\documentclass``); blocks in other languages are prose.
2. Several candidates: the last one that holds a picture environment or a document; else the last.
3. An unclosed block at the end: ``truncated`` if the reply hit the output limit, else the rest
   of the reply.
4. No fences: the text from the first ``\\begin{tikzpicture}`` (``circuitikz``, ``\\documentclass``)
   to the matching end of the environment.
5. Nothing: ``no_code``.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from core.generation.backends.base import Backend, register_backend
from core.generation.parsing import ParsedReply, _extract_plan, _preprocess, _scan
from core.generation.prompts import TIKZ_PROMPT_VERSION
from core.sandbox.models import ErrorClass, RenderResult

if TYPE_CHECKING:
    from core.generation.base import GenerationContext
    from core.problems import Problem

TEX_LANGUAGES = {"latex", "tex", "tikz", "pgf", "context", "", "circuitikz"}
_HAS_TEX = re.compile(r"\\(begin\{|draw\b|tikz\b|documentclass|node\b|fill\b|path\b)")
_PICTURE = re.compile(r"\\begin\{(tikzpicture|circuitikz|tabular)\}|\\documentclass")
_UNFENCED = re.compile(
    r"(\\documentclass.*?\\end\{document\}|\\begin\{(tikzpicture|circuitikz)\}.*?\\end\{\2\})", re.S
)
# The gold TikZ figures of the bundled sample (data/sample/tikz/<id>.tex).
SAMPLE_TIKZ_DIR = Path(__file__).resolve().parents[3] / "data" / "sample" / "tikz"


def parse_tikz_reply(text: str | None, *, truncated: bool = False) -> ParsedReply:
    """Split a reply into its Plan and the TikZ code (rules in the module docstring)."""
    notes: list[str] = []
    if text is None or not text.strip():
        return ParsedReply(None, None, ["the reply is empty"], "no_code", "the reply is empty")
    text = _preprocess(text, notes)
    scan = _scan(text.split("\n"))
    if truncated:
        notes.append("the reply stopped at the output limit (max_tokens)")
    tex_blocks = [b for b in scan.blocks if b.lang.lower() in TEX_LANGUAGES and _HAS_TEX.search(b.text)]
    other = [b for b in scan.blocks if b not in tex_blocks and b.text.strip()]
    if other:
        notes.append(f"{len(other)} non-TeX block(s) read as prose ({', '.join(b.lang or 'no language' for b in other)})")
    prose = list(scan.prose)
    for block in other:
        prose.extend((block.start + 1 + offset, line) for offset, line in enumerate(block.lines))
    prose.sort()
    complete = [b for b in tex_blocks if b.closed]
    if complete:
        pictures = [b for b in complete if _PICTURE.search(b.text)]
        chosen = (pictures or complete)[-1]
        if len(complete) > 1:
            notes.append(f"{len(complete)} TeX blocks; took the last one holding a picture")
        return ParsedReply(_extract_plan(prose, chosen.start, notes), chosen.text, notes)
    unclosed = [b for b in tex_blocks if not b.closed]
    if unclosed:
        block = unclosed[-1]
        plan = _extract_plan(prose, block.start, notes)
        if truncated:
            notes.append("the code block has no closing fence: cut off")
            return ParsedReply(plan, None, notes, "truncated",
                               "the reply stopped at the output limit inside the code block")
        notes.append("the code block has no closing fence; took it to the end of the reply")
        return ParsedReply(plan, block.text, notes)
    found = _UNFENCED.search(text)
    if found:
        start_line = text[: found.start()].count("\n")
        notes.append("no code fence; took the picture environment as code")
        numbered = [(index, line) for index, line in enumerate(text.split("\n")) if index < start_line]
        return ParsedReply(_extract_plan(numbered, start_line, notes), found.group(0), notes)
    plan = _extract_plan(list(enumerate(text.split("\n"))), None, notes)
    if truncated:
        notes.append("no code before the output limit")
        return ParsedReply(plan, None, notes, "truncated", "the reply stopped at the output limit before any code")
    notes.append("no TikZ code found")
    return ParsedReply(plan, None, notes, "no_code", "the reply holds no TikZ code")


@register_backend
class TikzBackend(Backend):
    name: ClassVar[str] = "tikz"
    label: ClassVar[str] = "TikZ (pdflatex with a fixed preamble, in the TeX sandbox)"
    short_label: ClassVar[str] = "TikZ"
    file_extension: ClassVar[str] = ".tex"
    prompt_version: ClassVar[str] = TIKZ_PROMPT_VERSION

    def parse(self, text: str | None, *, truncated: bool = False) -> ParsedReply:
        return parse_tikz_reply(text, truncated=truncated)

    def unavailable(self, ctx: GenerationContext) -> tuple[str, str] | None:
        if ctx.extras.get("tex_renderer") is not None:
            return None
        from core.sandbox.tex import find_tex, missing_tex_message

        return None if find_tex() is not None else ("no_sandbox", missing_tex_message())

    async def render(self, ctx: GenerationContext, code: str, *, dpi: float | None, timeout_s: float,
                     memory_mb: int, svg: bool = False) -> RenderResult:
        """Compile in the TeX sandbox (PNG only: ``svg`` is not offered by this backend)."""
        from core.sandbox.tex import default_tex_renderer

        renderer: Any = ctx.extras.get("tex_renderer")
        result = RenderResult(status="error", error_class=ErrorClass.sandbox_error, error="not rendered")
        for _ in range(2):  # a sandbox_error is the renderer's fault: retried once
            try:
                if renderer is None:
                    renderer = await asyncio.to_thread(default_tex_renderer, ctx.extras.get("tex_cache_dir"))
                future = renderer.submit(code, dpi=dpi, timeout_s=timeout_s, memory_mb=memory_mb)
                result = await asyncio.shield(asyncio.wrap_future(future))
            except (ValueError, TypeError) as exc:
                return RenderResult(status="error", error_class=ErrorClass.sandbox_error,
                                    error=f"the sandbox refused the picture: {exc}")
            except Exception as exc:  # noqa: BLE001 - TexUnavailable and friends: report, never raise
                result = RenderResult(status="error", error_class=ErrorClass.sandbox_error,
                                      error=f"the TeX sandbox is unavailable: {type(exc).__name__}: {exc}")
                continue
            if result.error_class != ErrorClass.sandbox_error:
                return result
        return result

    def reference_code(self, problem: Problem) -> str | None:
        """The sample's gold TikZ figure of this problem (``data/sample/tikz/<id>.tex``), if any."""
        if not problem.id.startswith("sample-"):  # the sample's naming rule
            return None
        path = SAMPLE_TIKZ_DIR / f"{problem.id}.tex"
        return path.read_text(encoding="utf-8") if path.is_file() else None
