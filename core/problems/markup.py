"""Readable Markdown for problem texts as published (the raw text stays stored unchanged).

``to_markdown(text)`` turns the markup found in SciGenBench into Markdown with ``$...$`` math
that Streamlit renders:

- WebInstruct ``{eq}...{/eq}`` -> ``$...$`` (``$$...$$`` on its own lines when it holds a
  ``\\begin{...}`` environment). As published, some ``{eq}`` are closed by a second ``{eq}`` or
  never closed: a ``{eq}`` inside math closes it, an unclosed one runs to the end of the text,
  a stray ``{/eq}`` is removed.
- LaTeX ``\\(...\\)`` -> ``$...$`` and ``\\[...\\]`` -> ``$$...$$``; ``$...$`` and ``$$...$$`` stay.
  A ``$`` only opens math when followed by a non-space and closes when preceded by one and not
  followed by a digit (Pandoc's rule), so currency such as ``$60 per barrel`` is escaped (``\\$``).
- Math spanning lines is joined on one line (a blank line would end inline math).
- ``<span class="tex-span">`` wrappers (Codeforces statements) are removed; ``<image>`` and
  ``<img>path</img>`` placeholders become ``*[image]*`` / ``*[image: path]*``; ``[asy]...[/asy]``
  (Asymptote code) and ``` fenced code stay verbatim in a code block; ``<think>...</think>``
  reasoning in answers is labelled.
- SeePhys texts carry a literal backslash-n where a line break was meant: ``\\n`` before a
  non-letter becomes a line break (a space inside math); ``\\nmathrm``-like run-ons of a known
  LaTeX command become that command.
- Outside math: single line breaks are kept (Markdown hard breaks), ``<`` and ``~`` are escaped
  so they show as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# LaTeX commands that legitimately start with "n"; any other "\n<word>" with <word> a known
# command is a run-on of a literal "\n" and the command.
_N_COMMANDS = {
    "nabla", "natural", "ne", "nearrow", "neg", "neq", "newline", "nexists", "ngeq", "ngtr", "ni",
    "nleftarrow", "nleq", "nless", "nmid", "nolimits", "nonumber", "not", "notin", "nparallel",
    "nrightarrow", "nsim", "nsubseteq", "nsupseteq", "nu", "nwarrow", "ncong",
}  # fmt: skip
_RUN_ON_COMMANDS = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "kappa", "lambda", "mu", "xi", "pi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Pi", "Sigma", "Phi", "Psi", "Omega", "mathrm",
    "mathbf", "mathit", "mathcal", "text", "textbf", "frac", "dfrac", "sqrt", "left", "right",
    "cdot", "times", "int", "iint", "oint", "sum", "prod", "lim", "quad", "qquad", "vec", "hat",
    "bar", "dot", "ddot", "partial", "infty", "approx", "sim", "leq", "geq", "pm", "circ", "sin",
    "cos", "tan", "ln", "log", "exp", "operatorname", "overline", "underline", "begin", "end",
}  # fmt: skip


@dataclass(frozen=True)
class _Segment:
    kind: str  # "text" | "math" | "display" | "verbatim"
    content: str


_SPAN_TAG = re.compile(r"</?span\b[^>]*>", re.IGNORECASE)
_DOLLAR_CLOSE = re.compile(r"(?<=\S)\$(?!\d)(?!\$)")


def _find(text: str, needle: str, start: int) -> int:
    pos = text.find(needle, start)
    return len(text) if pos < 0 else pos


def _segments(text: str) -> list[_Segment]:
    """Split raw text into text, inline math, display math and verbatim pieces."""
    out: list[_Segment] = []
    buf: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if buf:
            out.append(_Segment("text", "".join(buf)))
            buf.clear()

    while i < n:
        if text.startswith("{eq}", i):
            # {eq} closes at the next {/eq} or {eq} (published files use both), else at the end
            start = i + 4
            end_close, end_open = _find(text, "{/eq}", start), _find(text, "{eq}", start)
            end = min(end_close, end_open)
            flush()
            out.append(_Segment("math", text[start:end]))
            i = end + (5 if end == end_close and end < n else 4 if end < n else 0)
            continue
        if text.startswith("{/eq}", i):  # stray closer
            i += 5
            continue
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            end = n if end < 0 else end + 3
            flush()
            out.append(_Segment("verbatim", text[i:end]))
            i = end
            continue
        if text.startswith("[asy]", i):
            end = _find(text, "[/asy]", i + 5)
            flush()
            out.append(_Segment("verbatim", "```\n" + text[i + 5 : end].strip("\n") + "\n```"))
            i = min(n, end + 6)
            continue
        if text.startswith("\\(", i) and (end := text.find("\\)", i + 2)) >= 0:
            flush()
            out.append(_Segment("math", text[i + 2 : end]))
            i = end + 2
            continue
        if text.startswith("\\[", i) and (end := text.find("\\]", i + 2)) >= 0:
            flush()
            out.append(_Segment("display", text[i + 2 : end]))
            i = end + 2
            continue
        if text.startswith("$$", i) and (end := text.find("$$", i + 2)) >= 0:
            flush()
            out.append(_Segment("display", text[i + 2 : end]))
            i = end + 2
            continue
        if text.startswith("\\$", i):  # an escaped dollar is a dollar sign
            buf.append("$")
            i += 2
            continue
        if text[i] == "$" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != "$":
            close = _DOLLAR_CLOSE.search(text, i + 1)
            if close is not None and "\n\n" not in text[i + 1 : close.start()]:
                flush()
                out.append(_Segment("math", text[i + 1 : close.start()]))
                i = close.end()
                continue
        buf.append(text[i])
        i += 1
    flush()
    return out


def _fix_literal_newlines(text: str, *, in_math: bool) -> str:
    """Replace SeePhys's literal backslash-n (a meant line break) without touching LaTeX commands."""
    newline = " " if in_math else "\n"

    def repl(match: re.Match[str]) -> str:
        word = match.group(1)
        if not word:
            return newline
        if word in _N_COMMANDS:
            return match.group(0)
        if word in _RUN_ON_COMMANDS:  # "\nmathrm" -> line break + "\mathrm"
            return newline + "\\" + word
        # in math an unknown "\nfoo" may be a macro; in text it is a line break before a word
        return match.group(0) if in_math else newline + word

    # not preceded by a backslash: "\\n" is a LaTeX line break followed by the letter n
    return re.sub(r"(?<!\\)\\n([A-Za-z]*)", repl, text)


def _math(content: str) -> str:
    content = _fix_literal_newlines(content, in_math=True)
    return re.sub(r"\s*\n\s*", " ", content).strip()


def _text(content: str) -> str:
    content = _SPAN_TAG.sub("", content)
    content = re.sub(r"<img>(.*?)</img>", lambda m: f"*[image: {m.group(1).strip()}]*", content, flags=re.S)
    content = re.sub(r"<image>", "*[image]*", content, flags=re.IGNORECASE)
    content = content.replace("<think>", "\x00THINK\x00").replace("</think>", "\x00/THINK\x00")
    content = _fix_literal_newlines(content, in_math=False)
    content = content.replace("$", "\\$").replace("~", "\\~").replace("<", "&lt;")
    content = re.sub(r"\s*\x00THINK\x00\s*", "\n\n**Reasoning:**\n\n", content)
    content = re.sub(r"\s*\x00/THINK\x00\s*", "\n\n**Answer:**\n\n", content)
    # Markdown joins single line breaks; the published texts mean them (examples, lists)
    return re.sub(r"(?<!\n)[ \t]*\n(?!\n)", "  \n", content)


def to_markdown(text: str | None) -> str:
    """A Markdown rendering of a published text; ``""`` for None. See the module docstring."""
    if not text:
        return ""
    rendered = ""
    after_block = False
    for segment in _segments(text):
        if segment.kind == "text":
            piece, block = _text(segment.content), False
        elif segment.kind == "verbatim":
            piece, block = segment.content.strip("\n"), True
        else:
            body = _math(segment.content)
            if not body:
                continue
            block = segment.kind == "display" or "\\begin{" in body
            piece = f"$$\n{body}\n$$" if block else f"${body}$"
        if block:  # a block stands alone between blank lines
            rendered = rendered.rstrip() + "\n\n" + piece + "\n\n"
        else:
            rendered += piece.lstrip() if after_block else piece
        after_block = block
    return rendered.strip()
