"""Parse an ImgCoder reply into its Plan and the one Python script to render.

Models format replies loosely, so :func:`parse_reply` accepts, and records in ``notes``:

* fences: ```` ```python ````, ```` ```py ````, ```` ```python3 ````, ```` ``` ```` with no language,
  ``~~~`` fences, longer fences, ```` ```{python} ````, a doubled opening fence, a closing fence
  glued to the last code line, and ``<code>``/``<python>``/``[PYTHON]`` tags;
* reasoning in ``<think>...</think>`` (removed before parsing);
* prose before, between and after blocks; a Plan with or without a heading;
* no fences at all (the code is found by its first code-like line).

Which code is chosen (the rule, in order):

1. Candidates are the *complete* fenced blocks that hold Python: language python/py/python3/py3,
   or no language and content that parses as Python and looks like code. Blocks in another
   language (text, json, bash, markdown, output ...) are prose.
2. Several candidates: the last one that draws (mentions Matplotlib, a figure, ``savefig``,
   schemdraw, rdkit drawing, networkx drawing or Venn); if none draws, the last candidate.
3. If the chosen block is not self-contained (it uses a name no statement in it binds, e.g.
   ``plt`` without ``import matplotlib.pyplot as plt``) and the candidates before it bind that
   name, they are concatenated in reply order up to and including it, provided the result parses.
4. No complete candidate, but an unclosed fence at the end: if the reply stopped at the output
   limit (``truncated=True``) the attempt is a ``truncated`` failure; otherwise the model forgot
   the closing fence and the rest of the reply is the code (trailing prose dropped as in 5).
5. No fences: the code runs from the first line that looks like code (``import``, ``from .. import``,
   ``fig, ax =``, ``plt.``) to the end, minus trailing prose lines when dropping them makes it
   parse; a truncated reply whose code does not parse is ``truncated``.
6. Nothing that looks like code: ``no_code``.

The Plan is the prose outside the chosen code: from a "Plan" heading (or the first of the four
part names) to the code block; without either, all prose before the code.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

from core.generation.prompts import PLAN_PARTS

__all__ = ["ParsedReply", "draws", "missing_names", "parse_reply"]

_PYTHON_LANGS = {"python", "py", "python3", "py3", "ipython", "python2"}
_FENCE_OPEN = re.compile(
    r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*\{?\.?(?P<lang>[\w+#.\-]*)\}?.*$"
)
_THINK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_THINK_OPEN = re.compile(r"<think(?:ing)?>", re.IGNORECASE)
_TAG_FENCES = (
    (re.compile(r"<python>\s*\n?", re.IGNORECASE), re.compile(r"\n?\s*</python>", re.IGNORECASE)),
    (re.compile(r"<code(?:\s+[^>]*)?>\s*\n?", re.IGNORECASE), re.compile(r"\n?\s*</code>", re.IGNORECASE)),
    (re.compile(r"\[PYTHON\]\s*\n?"), re.compile(r"\n?\s*\[/PYTHON\]")),
)
_DRAW_MARKERS = re.compile(
    r"matplotlib|\bplt\.|\bfig\b|\bax\b|\baxes\b|savefig|schemdraw|rdMolDraw2D|Draw\.Mol|"
    r"draw_networkx|nx\.draw|venn[23]|imshow|add_patch|\.plot\("
)
_CODE_START = re.compile(
    r"^(?:import\s+\w|from\s+[\w.]+\s+import\s|#!.*python|fig\s*(?:,\s*\w+\s*)?=|plt\.|"
    r"def\s+\w+\s*\(|class\s+\w+|\w+\s*=\s*plt\.|with\s+schemdraw)"
)
_PLAN_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*|__)?[ \t]*(?:step[ \t]*1[ \t]*[-:.–—]?[ \t]*)?plan\b",
    re.IGNORECASE | re.MULTILINE,
)
_CODE_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*|__)?[ \t]*(?:step[ \t]*2[ \t]*[-:.–—]?[ \t]*)?(?:code|script|python code)"
    r"[ \t]*(?:\*\*|__)?[ \t]*[:.]?[ \t]*(?:\*\*|__)?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_BUILTINS = set(dir(builtins)) | {"__file__", "__name__", "__builtins__", "__doc__"}


@dataclass(frozen=True)
class ParsedReply:
    """What was found in a reply: the plan, the code to render, and how it was found."""

    plan: str | None
    code: str | None
    notes: list[str] = field(default_factory=list)
    error_class: str | None = None
    """None when code was found; ``no_code`` or ``truncated`` otherwise."""
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is not None and self.error_class is None


@dataclass
class _Block:
    lang: str
    lines: list[str]
    closed: bool
    start: int  # line index of the opening fence
    end: int  # line index of the closing fence (or last line when unclosed)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip("\n")


@dataclass
class _Scan:
    blocks: list[_Block]
    prose: list[tuple[int, str]]  # (line index, line) outside any block
    notes: list[str]


def _scan(lines: list[str]) -> _Scan:
    blocks: list[_Block] = []
    prose: list[tuple[int, str]] = []
    notes: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _FENCE_OPEN.match(line)
        if opening is None:
            glued = re.match(
                r"^(?P<before>.*\S)[ \t]*(?P<fence>```+|~~~+)[ \t]*(?P<lang>[\w+.\-]*)[ \t]*$", line
            )
            # A fence at the end of a prose line ("Here is the code: ```python").
            if glued is not None and glued.group("lang").lower() in _PYTHON_LANGS:
                prose.append((index, glued.group("before")))
                notes.append("an opening fence followed prose on the same line")
                opening_fence, lang = glued.group("fence"), glued.group("lang")
            else:
                prose.append((index, line))
                index += 1
                continue
        else:
            opening_fence, lang = opening.group("fence"), opening.group("lang")
        fence_char, fence_len = opening_fence[0], len(opening_fence)
        body: list[str] = []
        start = index
        index += 1
        closed = False
        while index < len(lines):
            current = lines[index]
            stripped = current.strip()
            if stripped and set(stripped) == {fence_char} and len(stripped) >= fence_len:
                closed = True
                break
            nested = _FENCE_OPEN.match(current)
            if nested is not None and not any(part.strip() for part in body) and nested.group("lang"):
                notes.append("ignored a repeated opening fence")
                if not lang:
                    lang = nested.group("lang")
                index += 1
                continue
            if stripped.endswith(fence_char * fence_len) and stripped.rstrip(fence_char).strip():
                # The closing fence glued to the last code line: "plt.show()```".
                body.append(current.rstrip()[: -len(stripped) + len(stripped.rstrip(fence_char))])
                notes.append("a closing fence was glued to a code line")
                closed = True
                break
            body.append(current)
            index += 1
        blocks.append(_Block(lang=lang.lower(), lines=body, closed=closed, start=start, end=index))
        index += 1
    return _Scan(blocks, prose, notes)


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def draws(code: str) -> bool:
    """True when the code plausibly draws a figure (the block-choice rule prefers those)."""
    return bool(_DRAW_MARKERS.search(code))


def _looks_like_code(text: str) -> bool:
    return any(_CODE_START.match(line.strip()) for line in text.splitlines()) or (
        _parses(text) and bool(re.search(r"^\s*\w[\w.]*\s*(=|\()", text, re.MULTILINE)) and draws(text)
    )


def _is_python(block: _Block) -> bool:
    if block.lang in _PYTHON_LANGS:
        return True
    if block.lang:
        return False
    text = block.text
    return (
        bool(text.strip()) and _looks_like_code(text) and (_parses(text) or not block.closed or draws(text))
    )


def _bound_names(tree: ast.AST) -> set[str]:
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bound.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
    return bound


def missing_names(code: str) -> set[str]:
    """Names the code reads that nothing in it binds (and that are not builtins).

    Empty for code that does not parse (the sandbox reports that better).
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    loaded = {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return loaded - _bound_names(tree) - _BUILTINS


def _preprocess(text: str, notes: list[str]) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _THINK.search(text):
        text = _THINK.sub("", text)
        notes.append("removed a <think> reasoning section")
    elif _THINK_OPEN.search(text):
        notes.append("the reply has an unclosed <think> section")  # its end is unknown: parse it all
    if "```" not in text and "~~~" not in text:
        for opening, closing in _TAG_FENCES:
            if opening.search(text) and closing.search(text):
                text = closing.sub("\n```\n", opening.sub("\n```python\n", text))
                notes.append("code was wrapped in tags instead of fences")
                break
    return text


def _choose(candidates: list[_Block], notes: list[str]) -> tuple[str, list[_Block]]:
    """The code to render from complete Python blocks, following rules 2 and 3."""
    drawing = [block for block in candidates if draws(block.text)]
    chosen = drawing[-1] if drawing else candidates[-1]
    position = candidates.index(chosen)
    if len(candidates) > 1:
        why = "the last that draws" if drawing else "the last; none draws"
        notes.append(f"{len(candidates)} Python blocks; chose block {position + 1} ({why})")
    missing = missing_names(chosen.text)
    if missing and position > 0:
        earlier = candidates[:position]
        joined = "\n\n".join(block.text for block in [*earlier, chosen])
        bound_before = set().union(*(_bound_names(ast.parse(b.text)) for b in earlier if _parses(b.text)))
        if missing & bound_before and _parses(joined):
            notes.append(
                f"block {position + 1} is not self-contained (uses {', '.join(sorted(missing & bound_before))}); "
                f"concatenated blocks 1-{position + 1}"
            )
            return joined, [*earlier, chosen]
    if missing:
        notes.append(f"the code uses names it never defines: {', '.join(sorted(missing))}")
    return chosen.text, [chosen]


def _extract_plan(prose_lines: list[tuple[int, str]], code_start: int | None, notes: list[str]) -> str | None:
    before = [line for index, line in prose_lines if code_start is None or index < code_start]
    after = [line for index, line in prose_lines if code_start is not None and index >= code_start]
    text = "\n".join(before)
    heading = _PLAN_HEADING.search(text)
    if heading is None:
        part = re.search(
            r"^[ \t>*#\-\d.]*(?:\*\*|__)?(" + "|".join(re.escape(p) for p in PLAN_PARTS) + r")",
            text,
            re.IGNORECASE | re.MULTILINE,
        )
        if part is not None:
            text = text[part.start() :]
            notes.append("no Plan heading; the plan starts at its first part")
        elif "\n".join(after).strip() and _PLAN_HEADING.search("\n".join(after)):
            later = "\n".join(after)
            text = later[_PLAN_HEADING.search(later).start() :]
            notes.append("the Plan came after the code")
        elif text.strip():
            notes.append("no Plan heading; used the text before the code as the plan")
    else:
        text = text[heading.start() :]
    code_heading = None
    for match in _CODE_HEADING.finditer(text):
        code_heading = match
    if code_heading is not None and code_heading.start() > 0:
        text = text[: code_heading.start()]
    plan = text.strip()
    if not plan:
        notes.append("no plan")
        return None
    found = [part for part in PLAN_PARTS if re.search(re.escape(part), plan, re.IGNORECASE)]
    if len(found) < len(PLAN_PARTS):
        missing = [part for part in PLAN_PARTS if part not in found]
        notes.append(f"plan parts found {len(found)}/{len(PLAN_PARTS)} (missing: {', '.join(missing)})")
    return plan


def _looks_like_prose(line: str) -> bool:
    """A sentence rather than code: words, no brackets or assignment (trailing chatter after code)."""
    stripped = line.strip()
    return not stripped or (
        not stripped.startswith("#")
        and not re.search(r"[=()\[\]{}]", stripped)
        and len(stripped.split()) >= 3
    )


def _without_trailing_prose(lines: list[str]) -> tuple[list[str], int]:
    """``lines`` minus trailing prose lines, when dropping them makes the code parse."""
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    if _parses("\n".join(lines[:end])):
        return lines[:end], 0
    cut = end
    while cut > 0 and _looks_like_prose(lines[cut - 1]):
        cut -= 1
        if cut < end and _parses("\n".join(lines[:cut])) and "\n".join(lines[:cut]).strip():
            return lines[:cut], end - cut
    return lines[:end], 0


def parse_reply(text: str | None, *, truncated: bool = False) -> ParsedReply:
    """Split a model reply into plan and code; ``truncated``: the reply stopped at max_tokens."""
    notes: list[str] = []
    if text is None or not text.strip():
        return ParsedReply(None, None, ["the reply is empty"], "no_code", "the reply is empty")
    text = _preprocess(text, notes)
    scan = _scan(text.split("\n"))
    notes.extend(scan.notes)
    if truncated:
        notes.append("the reply stopped at the output limit (max_tokens)")

    python_blocks = [block for block in scan.blocks if _is_python(block)]
    complete = [block for block in python_blocks if block.closed and block.text.strip()]
    unclosed = [block for block in python_blocks if not block.closed and block.text.strip()]
    other = [block for block in scan.blocks if block not in python_blocks and block.text.strip()]
    if other:
        languages = ", ".join(block.lang or "no language" for block in other)
        notes.append(f"{len(other)} non-Python block(s) read as prose ({languages})")
    if any(not block.text.strip() for block in scan.blocks):
        notes.append("ignored an empty fenced block")
    # Prose for the plan: lines outside blocks plus the text of non-Python blocks.
    prose = list(scan.prose)
    for block in other:
        prose.extend((block.start + 1 + offset, line) for offset, line in enumerate(block.lines))
    prose.sort()

    if complete:
        code, used = _choose(complete, notes)
        if len(complete) == 1:
            notes.append(f"code from one fenced block ({used[-1].lang or 'no language'})")
        if unclosed and unclosed[-1].start > used[-1].start:
            notes.append("an unclosed block after the chosen one was ignored")
        return ParsedReply(_extract_plan(prose, used[0].start, notes), code, notes)

    if unclosed:
        block = unclosed[-1]
        plan = _extract_plan(prose, block.start, notes)
        if truncated:
            notes.append("the code block has no closing fence: cut off")
            return ParsedReply(
                plan, None, notes, "truncated", "the reply stopped at the output limit inside the code block"
            )
        body, dropped = _without_trailing_prose(block.lines)
        notes.append("the code block has no closing fence; took it to the end of the reply")
        if dropped:
            notes.append(f"dropped {dropped} trailing prose line(s)")
        return ParsedReply(plan, "\n".join(body).strip("\n"), notes)

    source = [line for _, line in prose]
    numbered = list(enumerate(source))
    start = next((i for i, line in enumerate(source) if _CODE_START.match(line.strip())), None)
    if start is not None:
        body, dropped = _without_trailing_prose(source[start:])
        code = "\n".join(body).strip("\n")
        plan = _extract_plan(numbered, start, notes)
        if truncated and not _parses(code):
            notes.append("unfenced code that does not parse: cut off")
            return ParsedReply(
                plan, None, notes, "truncated", "the reply stopped at the output limit inside the code"
            )
        notes.append(f"no code fence; took the text from line {start + 1} on as code")
        if dropped:
            notes.append(f"dropped {dropped} trailing prose line(s)")
        return ParsedReply(plan, code, notes)

    plan = _extract_plan(numbered, None, notes)
    if truncated:
        notes.append("no code before the output limit")
        return ParsedReply(
            plan, None, notes, "truncated", "the reply stopped at the output limit before any code"
        )
    notes.append("no Python code found")
    return ParsedReply(plan, None, notes, "no_code", "the reply holds no Python code")
