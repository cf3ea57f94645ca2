"""Reading a pdflatex run: which error class, which line of the model's code, which excerpt.

Pure functions over the log text, so they are tested without TeX. The rules, first match wins:

* ``forbidden``: kpathsea refused a file (``Not reading from`` / ``Not writing to``, paranoid
  ``openin_any``/``openout_any``), a shell escape was attempted (``runsystem(...)...disabled``), or a
  file outside the working folder was asked for (an absolute path or ``..`` in a missing file,
  image or embedded file) — even when TeX carried on;
* ``memory_limit``: ``TeX capacity exceeded`` (TeX's fixed memory arrays: runaway recursion,
  huge loops of nodes);
* ``output_too_large``: ``Dimension too large`` (a length beyond 16383.99 pt);
* ``syntax_error``: any other ``!`` error (undefined control sequence, missing package or font,
  TikZ/pgfplots errors, runaway arguments), with the line mapped to the model's code;
* ``no_figure``: TeX finished without an error but wrote no page.

Timeouts, file-size kills and blank pages are decided by the caller from the process outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAIN_NAME = "figure.tex"
EXCERPT_CONTEXT = 2
"""Lines of the model's code shown either side of the failing one."""

_REFUSED = re.compile(r"Not (reading from|writing to) (\S+?)\.? \((openin_any|openout_any) = \w\)")
_SHELL = re.compile(r"runsystem\((.*?)\)\.\.\.(disabled|executed)", re.S)
_MISSING_FILE = re.compile(
    r"(?:File `([^']+)' not found|I can't find file `([^']+)'|cannot find image file '?([^'\s]+)"
    r"|cannot open file for embedding \(?([^)\s]+)|cannot open (?:image )?file '?([^'\s]+)"
    r"|^! (\S+) not found\.$)", re.M
)
_FILE_LINE = re.compile(r"^\./" + re.escape(MAIN_NAME) + r":(\d+): (.*)$", re.M)
_CONTEXT_LINE = re.compile(r"^l\.(\d+) ", re.M)
_BANG = re.compile(r"^! ?(.*)$", re.M)  # pdfTeX's own errors start "!pdfTeX error"
_MISSING_PACKAGE = re.compile(r"File `([^']+)\.(sty|cls)' not found")
_MISSING_FONT = re.compile(r"Font (?:\S+=)?(\S+) (?:not loadable: .*|at \d+ not found)$", re.M)


@dataclass(frozen=True)
class TexDiagnosis:
    """An error read from a run."""

    error_class: str
    error: str
    error_line: int | None
    excerpt: str | None


def _outside(path: str) -> bool:
    return path.startswith("/") or ".." in path.split("/") or path.startswith("~")


def _user_line(file_line: int | None, line_map: list[int | None]) -> int | None:
    """The model's line for a line of figure.tex (None for wrapper lines)."""
    if file_line is None or not 1 <= file_line <= len(line_map):
        return None
    return line_map[file_line - 1]


def _error_block(log: str, start: int, max_lines: int = 10) -> str:
    """The log from an error message to its ``l.N`` context (or ``max_lines`` lines)."""
    lines = log[start:].split("\n")
    block: list[str] = []
    for index, line in enumerate(lines[:max_lines]):
        block.append(line.rstrip())
        if _CONTEXT_LINE.match(line):
            if index + 1 < len(lines) and lines[index + 1].strip():
                block.append(lines[index + 1].rstrip())
            break
    return "\n".join(block).strip()


def _renumber(block: str, line_map: list[int | None]) -> str:
    """The log's figure.tex line numbers as the model's (wrapper lines become ``end``)."""
    def mapped(file_line: str) -> str:
        line = _user_line(int(file_line), line_map)
        return str(line) if line is not None else "end"

    block = re.sub(r"^\./" + re.escape(MAIN_NAME) + r":(\d+):", lambda m: f"line {mapped(m.group(1))}:",
                   block, flags=re.M)
    return re.sub(r"^l\.(\d+) ", lambda m: f"l.{mapped(m.group(1))} ", block, flags=re.M)


def _line_naming(code_lines: list[str], needle: str, fallback: int | None) -> int | None:
    """The first line of the code that contains ``needle`` (TeX may stop a line or two later, or,
    for a refused shell escape, not at all)."""
    if needle:
        for number, text in enumerate(code_lines, start=1):
            if needle in text:
                return number
    return fallback


def code_excerpt(code_lines: list[str], line: int | None, context: int = EXCERPT_CONTEXT) -> str:
    """Numbered lines of the model's code around ``line`` (marked with ``>``)."""
    if line is None or not code_lines:
        return ""
    low, high = max(1, line - context), min(len(code_lines), line + context)
    width = len(str(high))
    return "\n".join(
        f"{'>' if n == line else ' '} {n:>{width}} | {code_lines[n - 1].rstrip()}" for n in range(low, high + 1)
    )


def _first_error(log: str) -> tuple[str, int | None, int] | None:
    """(message, line in figure.tex, offset in the log) of the first error, or None."""
    candidates: list[tuple[int, str, int | None]] = []
    file_line = _FILE_LINE.search(log)
    if file_line:
        candidates.append((file_line.start(), file_line.group(2).strip(), int(file_line.group(1))))
    bang = _BANG.search(log)
    if bang:
        candidates.append((bang.start(), bang.group(1).strip(), None))
    if not candidates:
        return None
    start, message, line = min(candidates)
    if line is None:  # the l.N context after the message names the line
        context = _CONTEXT_LINE.search(log, start)
        line = int(context.group(1)) if context else None
    return message, line, start


def diagnose(log: str, stderr: str, line_map: list[int | None], code: str, produced_pdf: bool) -> TexDiagnosis | None:
    """The error of a finished pdflatex run, or None when it succeeded."""
    code_lines = code.split("\n")
    found = _first_error(log)
    message, file_line, start = found if found else ("", None, -1)
    line = _user_line(file_line, line_map)
    block = _renumber(_error_block(log, start), line_map) if found else ""
    excerpt_parts = [part for part in (block, code_excerpt(code_lines, line)) if part]
    excerpt = "\n".join(excerpt_parts) or None

    both = stderr + "\n" + log
    # Packages probe /dev/null (standalone does, to test for shell escape): not the model's doing.
    refused = next((m for m in _REFUSED.finditer(both) if m.group(2) != "/dev/null"), None)
    def refusal(message: str, needle: str) -> TexDiagnosis:
        where = _line_naming(code_lines, needle, line)
        shown = "\n".join(part for part in (block, code_excerpt(code_lines, where)) if part)
        return TexDiagnosis("forbidden", message, where, shown or None)

    if refused:
        verb = "reading" if refused.group(1) == "reading from" else "writing"
        path = refused.group(2)
        return refusal(f"blocked: {verb} {path} (only the working folder is allowed)", path)
    shell = _SHELL.search(log)
    if shell:
        command = " ".join(shell.group(1).split())[:200]
        return refusal(f"blocked: shell escape ({command}) is off in the sandbox", "write18")
    for missing in _MISSING_FILE.finditer(both):
        path = next(group for group in missing.groups() if group)
        if _outside(path):
            return refusal(f"blocked: {path} is outside the working folder", path)
    if not found:
        if produced_pdf:
            return None
        return TexDiagnosis("no_figure", "TeX finished without writing a page (nothing was drawn)", None, None)
    if "TeX capacity exceeded" in message:
        return TexDiagnosis("memory_limit", f"{message} (runaway recursion or too many objects)", line, excerpt)
    if message.startswith("Dimension too large"):
        return TexDiagnosis("output_too_large",
                            "Dimension too large: a length exceeds TeX's maximum of 16383.99 pt (5.76 m)",
                            line, excerpt)
    package = _MISSING_PACKAGE.search(message)
    if package:
        # LaTeX asks for another name and stops at a later line; the \usepackage line is the one.
        asked = re.compile(r"\\(usepackage|RequirePackage|documentclass)(\[[^\]]*\])?\{[^}]*\b"
                           + re.escape(package.group(1)) + r"\b")
        line = next((n for n, text in enumerate(code_lines, 1) if asked.search(text)), line)
        excerpt = "\n".join(part for part in (block.split("\n")[0], code_excerpt(code_lines, line)) if part)
        return TexDiagnosis("syntax_error", f"{package.group(1)}.{package.group(2)} is not installed here; "
                            "use the preamble's packages", line, excerpt)
    font = _MISSING_FONT.search(block or message)
    if font:
        line = _line_naming(code_lines, font.group(1), line)
        excerpt = "\n".join(part for part in (block, code_excerpt(code_lines, line)) if part)
        return TexDiagnosis("syntax_error", f"font {font.group(1)} is not available (fonts are never generated)",
                            line, excerpt)
    where = "" if line is not None or file_line is None else " (in the document's wrapper, after the code)"
    return TexDiagnosis("syntax_error", f"{message}{where}"[:500], line, excerpt)
