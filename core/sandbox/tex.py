"""TikZ/LaTeX figures rendered in the sandbox: the fixed preamble, its prebuilt format, the pool.

Public API::

    from core.sandbox.tex import TexRenderer, render_tex, find_tex

    with TexRenderer(workers=2) as tex:              # builds (or reuses) the format, starts a warm parent
        result = tex.render(r"\\begin{tikzpicture}\\draw (0,0) -- (1,1);\\end{tikzpicture}")
        result.png, result.facts.texts              # same RenderResult / FigureFacts as Python renders

Input is either a body (a ``tikzpicture``, ``circuitikz``, ``tabular``... with optional
``\\usepackage``/``\\usetikzlibrary``/``\\tikzset`` lines first) compiled with :data:`PREAMBLE`, or a
whole document (it has ``\\documentclass``) compiled with LaTeX's plain format. Either way
``error_line`` is a line of the code as given.

Speed: the preamble is dumped once into a format (``pdflatex -ini`` with mylatexformat), cached in
the workspace under ``cache/tex/<key>/`` (the key covers the preamble and the TeX Live version), so
a body's render loads a memory image instead of reading a dozen packages; the warm parent keeps
pre-forked children ready and runs ``workers`` renders at a time.

Isolation: the same warm parent and children as Python renders (:mod:`core.sandbox.zygote`,
:mod:`core.sandbox.harness`, :mod:`core.sandbox.kernel`) with ``engine="tex"``: their private root
adds the TeX trees, the three binaries and the format folder, read-only; inside, pdflatex runs
with TeX's own paranoid settings (:mod:`core.sandbox.tex_job`).
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.sandbox.models import IsolationLayer, IsolationReport, RenderResult
from core.sandbox.pool import RenderPool, SandboxUnavailable
from core.sandbox.spec import RenderLimits, SandboxConfig
from core.sandbox.tex_job import tex_environment

FORMAT_NAME = "scigen-tikz"

# The fixed preamble, as Debian's TeX Live ships it (texlive-latex-base, -latex-recommended,
# -pictures, -science, -latex-extra). Latin Modern in T1 so every glyph is a Type 1 font: nothing
# needs font generation.
PREAMBLE = r"""\documentclass[border=4pt]{standalone}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{amsmath,amssymb}
\usepackage{xcolor}
\usepackage{tikz}
\usetikzlibrary{arrows.meta,calc,positioning,shapes.geometric,shapes.misc,shapes.symbols,
  decorations.pathmorphing,decorations.pathreplacing,decorations.markings,patterns,angles,quotes,
  intersections,3d,backgrounds,fit,matrix,trees,shadows,through,automata,graphs}
\usepackage{pgfplots}
\pgfplotsset{compat=1.18}
\usepgfplotslibrary{fillbetween,polar}
\usepackage[siunitx]{circuitikz}
\usepackage{tikz-3dplot}
\usepackage{chemfig}
\usepackage{siunitx}
\usepackage{booktabs,array,multirow}"""

PACKAGES_FOR_PROMPT = ("tikz (arrows.meta, calc, positioning, shapes, decorations, patterns, angles, quotes, "
                       "intersections, 3d, fit, matrix, trees, automata, graphs)", "pgfplots 1.18",
                       "circuitikz", "tikz-3dplot", "chemfig", "siunitx", "amsmath", "booktabs")
TEX_BINARIES = ("pdftex", "pdftoppm", "pdftotext")
TEX_TREES = ("/usr/share/texlive", "/usr/share/texmf", "/var/lib/texmf", "/etc/texmf")
TEX_PRELOAD = ("subprocess", "xml.etree.ElementTree", "PIL.Image", "PIL.ImageOps", "PIL.PngImagePlugin",
               "core.sandbox.tex_job")

# Lines a body may start with that belong before \begin{document}.
_PREAMBLE_LINE = re.compile(
    r"^\s*(%.*|\\usepackage\b.*|\\RequirePackage\b.*|\\usetikzlibrary\b.*|\\usepgfplotslibrary\b.*"
    r"|\\tikzset\b.*|\\pgfplotsset\b.*|\\definecolor\b.*|\\colorlet\b.*|\\newcommand\b.*"
    r"|\\renewcommand\b.*|\\def\\.*|\\ctikzset\b.*|\\setchemfig\b.*|\\sisetup\b.*|\\tdplotsetmaincoords\b.*)?\s*$"
)


class TexUnavailable(SandboxUnavailable):
    """pdflatex or poppler-utils are not installed here."""


@dataclass(frozen=True)
class TexEngine:
    """The TeX installation found on this machine."""

    pdftex: str
    pdftoppm: str
    pdftotext: str
    version: str
    """First line of ``pdftex --version``."""

    def binaries(self) -> tuple[str, ...]:
        return (self.pdftex, self.pdftoppm, self.pdftotext)


def find_tex(path: str | None = None) -> TexEngine | None:
    """The pdftex and poppler binaries on ``path`` (default ``$PATH``), or None if one is missing."""
    found = {name: shutil.which(name, path=path) for name in TEX_BINARIES}
    if not all(found.values()):
        return None
    try:
        version = subprocess.run([found["pdftex"], "--version"], capture_output=True, text=True,  # noqa: S603
                                 timeout=20, check=False).stdout.split("\n")[0].strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return TexEngine(pdftex=os.path.realpath(found["pdftex"]), pdftoppm=os.path.realpath(found["pdftoppm"]),
                     pdftotext=os.path.realpath(found["pdftotext"]), version=version)


def missing_tex_message(path: str | None = None) -> str:
    """The one line said where TeX is absent."""
    missing = [name for name in TEX_BINARIES if shutil.which(name, path=path) is None]
    return (f"TeX is not installed here ({', '.join(missing)} not found): install texlive-latex-base "
            "texlive-latex-recommended texlive-pictures texlive-science texlive-latex-extra poppler-utils")


# ---------------------------------------------------------------------- documents
@dataclass(frozen=True)
class TexDocument:
    """What pdflatex compiles for one piece of code."""

    source: str
    line_map: list[int | None]
    """For each line of ``source``: the code's line (1-based), or None for wrapper lines."""
    whole_document: bool
    """True when the code is a whole document (compiled without the prebuilt preamble)."""


def is_whole_document(code: str) -> bool:
    return re.search(r"^[^%\n]*\\documentclass\b", code, re.M) is not None


def assemble(code: str) -> TexDocument:
    """The file pdflatex reads: a whole document as given, or a body after the fixed preamble."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if is_whole_document(code):
        return TexDocument(source="\n".join(lines) + "\n", line_map=list(range(1, len(lines) + 1)),
                           whole_document=True)
    has_begin = re.search(r"^[^%\n]*\\begin\{document\}", code, re.M) is not None
    out: list[str] = []
    mapping: list[int | None] = []

    def wrap(text: str) -> None:
        for part in text.split("\n"):
            out.append(part)
            mapping.append(None)

    # mylatexformat skips the file up to \endofdump (the preamble is in the format already).
    wrap(PREAMBLE + "\n\\endofdump")
    head_end = 0
    if not has_begin:
        while head_end < len(lines) and _PREAMBLE_LINE.match(lines[head_end]):
            head_end += 1
    for number, text in enumerate(lines[:head_end], start=1):
        out.append(text)
        mapping.append(number)
    if not has_begin:
        wrap("\\begin{document}")
    for number, text in enumerate(lines[head_end:], start=head_end + 1):
        out.append(text)
        mapping.append(number)
    if not re.search(r"^[^%\n]*\\end\{document\}", code, re.M):
        wrap("\\end{document}")
    return TexDocument(source="\n".join(out) + "\n", line_map=mapping, whole_document=False)


# ---------------------------------------------------------------------- the format
def default_cache_dir() -> Path:
    """``$SCIGEN_HOME/cache/tex`` (the workspace rule of :mod:`core.workspace`; the sandbox imports
    nothing from the rest of the project)."""
    return Path(os.environ.get("SCIGEN_HOME") or ".scigen") / "cache" / "tex"


def format_key(engine: TexEngine) -> str:
    """Changes with the preamble and the TeX installation (a format only loads in the binary and
    trees that made it)."""
    digest = hashlib.sha256(PREAMBLE.encode())
    digest.update(engine.version.encode())
    for database in ("/usr/share/texlive/texmf-dist/ls-R", "/usr/share/texmf/ls-R", "/var/lib/texmf/ls-R"):
        try:
            digest.update(f"{database}:{os.stat(database).st_mtime_ns}".encode())
        except OSError:
            pass
    return digest.hexdigest()[:16]


def build_format(engine: TexEngine, cache_dir: Path | None = None) -> Path:
    """The folder holding ``scigen-tikz.fmt``, built once (about 2 s) and reused after.

    Built on the host: its input is only the fixed preamble, never model code. Safe against
    several processes building at once (a lock file, then an atomic rename)."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / format_key(engine)
    if (target / f"{FORMAT_NAME}.fmt").is_file():
        return target.resolve()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / f"{FORMAT_NAME}.fmt").is_file():
            return target.resolve()
        work = Path(tempfile.mkdtemp(prefix="format-", dir=root))
        try:
            (work / "preamble.tex").write_text(PREAMBLE + "\n\\begin{document}\n\\end{document}\n")
            env = tex_environment(str(work), None)
            process = subprocess.run(  # noqa: S603 - fixed argv on a fixed file
                [engine.pdftex, "-ini", "-interaction=nonstopmode", "-halt-on-error", f"-jobname={FORMAT_NAME}",
                 "&pdflatex", "mylatexformat.ltx", "preamble.tex"],
                cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False,
            )
            built = work / f"{FORMAT_NAME}.fmt"
            if process.returncode != 0 or not built.is_file():
                tail = "\n".join(process.stdout.strip().split("\n")[-15:])
                raise TexUnavailable(f"building the TeX format failed (status {process.returncode}):\n{tail}")
            staged = work / "out"
            staged.mkdir()
            built.rename(staged / built.name)
            os.chmod(staged, 0o755)
            os.chmod(staged / built.name, 0o644)
            staged.rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target.resolve()


def tex_job(code: str, format_dir: Path, dpi: float | None, limits: RenderLimits) -> dict[str, Any]:
    """The message a TeX child compiles (see :func:`core.sandbox.tex_job.compile_in`)."""
    document = assemble(code)
    return {"op": "tex", "code": code, "source": document.source, "line_map": document.line_map,
            "format_dir": str(format_dir), "format_name": "pdflatex" if document.whole_document else FORMAT_NAME,
            "dpi": dpi or 150.0, "limits": dict(limits.to_dict(), cpu_s=limits.effective_cpu_s)}


# ---------------------------------------------------------------------- the renderer
class TexRenderer:
    """Renders TikZ/LaTeX in the sandbox, ``workers`` at a time (thread- and asyncio-safe).

    Raises :class:`TexUnavailable` at construction where TeX is not installed. ``config`` may turn
    single layers off (tests do, to show each holds alone); its engine, preload and read-only
    paths are set here.
    """

    def __init__(self, config: SandboxConfig | None = None, *, workers: int | None = None,
                 cache_dir: Path | str | None = None, path: str | None = None, start: bool = True) -> None:
        engine = find_tex(path)
        if engine is None:
            raise TexUnavailable(missing_tex_message(path))
        self.engine = engine
        self.format_dir = build_format(engine, Path(cache_dir) if cache_dir is not None else None)
        base = config or SandboxConfig()
        if workers is not None:
            base = replace(base, workers=workers)
        trees = tuple(tree for tree in TEX_TREES if os.path.isdir(tree))
        self.config = replace(
            base, engine="tex", preload=TEX_PRELOAD,
            extra_read_only=(*trees, *engine.binaries(), *_program_links(engine), str(self.format_dir)),
            audit_hooks=False,  # no Python runs from the model: TeX's own layers take its place
        )
        self.pool = RenderPool(self.config, start=start)

    def submit(self, code: str, *, timeout_s: float = 20.0, memory_mb: int = 1024, dpi: float | None = None,
               cpu_s: float | None = None, output_mb: int = 32, max_pixels: int = 40_000_000,
               max_threads: int = 32) -> Future[RenderResult]:
        """Queue one render; the future resolves to its :class:`RenderResult` (never raises for
        anything the code does)."""
        if not isinstance(code, str):
            raise TypeError(f"code must be str, not {type(code).__name__}")
        if len(code.encode("utf-8", "surrogatepass")) > 2 * 1024 * 1024:
            raise ValueError("code is larger than 2 MB")
        if dpi is not None and not 1 <= dpi <= 2400:
            raise ValueError(f"dpi must be between 1 and 2400, got {dpi}")
        limits = RenderLimits(timeout_s=timeout_s, cpu_s=cpu_s, memory_mb=memory_mb, output_mb=output_mb,
                              max_pixels=max_pixels, max_threads=max_threads)
        return self.pool.submit_job(tex_job(code, self.format_dir, dpi, limits), limits)

    def render(self, code: str, **kwargs: Any) -> RenderResult:
        """Render and wait; same keywords as :meth:`submit`."""
        return self.submit(code, **kwargs).result()

    async def arender(self, code: str, **kwargs: Any) -> RenderResult:
        return await asyncio.wrap_future(self.submit(code, **kwargs))

    def check(self) -> IsolationReport:
        """The layers (verified by a probe from inside, as for Python) plus the TeX engine and format."""
        report = self.pool.check()
        extra = [
            IsolationLayer(name="tex_engine", active=True, detail=self.engine.version),
            IsolationLayer(name="tex_format", active=(self.format_dir / f"{FORMAT_NAME}.fmt").is_file(),
                           detail=str(self.format_dir / f"{FORMAT_NAME}.fmt")),
        ]
        return IsolationReport(layers=[*extra, *report.layers])

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> TexRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _program_links(engine: TexEngine) -> tuple[str, ...]:
    """``/usr/bin/pdflatex`` is a link to pdftex (the name selects LaTeX's defaults); mount it too."""
    link = shutil.which("pdflatex")
    return (link,) if link and os.path.realpath(link) == engine.pdftex and link != engine.pdftex else ()


_DEFAULT: TexRenderer | None = None
_DEFAULT_LOCK = threading.Lock()


def default_tex_renderer(cache_dir: Path | None = None) -> TexRenderer:
    """The process-wide TeX renderer ``render_tex()`` uses (started on first use with its format in
    ``cache_dir``, default :func:`default_cache_dir`; closed at exit)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            import atexit

            _DEFAULT = TexRenderer(cache_dir=cache_dir)
            atexit.register(_DEFAULT.close)
        return _DEFAULT


def render_tex(code: str, *, renderer: TexRenderer | None = None, **kwargs: Any) -> RenderResult:
    """Compile a TikZ body or a whole document in the sandbox; see :meth:`TexRenderer.submit`."""
    return (renderer or default_tex_renderer()).render(code, **kwargs)
