"""``scigen render``: run a plotting script or a TikZ file in the sandbox and save the figure.

The backend follows the extension: ``.py`` runs as a Matplotlib script, ``.tex`` compiles as a
TikZ body or a whole LaTeX document (:mod:`core.sandbox.tex`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli import CliError

if TYPE_CHECKING:
    from core.sandbox.models import IsolationReport
    from core.sandbox.tex import TexRenderer


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="run a plotting script or a TikZ file in the sandbox and save its figure",
        description=(
            "Run SCRIPT.py (Matplotlib) or compile FIGURE.tex (a tikzpicture body or a whole "
            "LaTeX document) in the sandbox (no network, no files outside a private folder, no "
            "programs, time and memory limits) and write the figure as PNG. Exit 0 on "
            "success; otherwise exit 1 and print the error class and reason on one line. "
            "`--check` reports which isolation layers are active on this machine, and the TeX "
            "engine and format."
        ),
    )
    parser.add_argument("script", nargs="?", metavar="SCRIPT.py|FIGURE.tex",
                        help="the plotting script, or a TikZ/LaTeX file")
    parser.add_argument("--out", "-o", metavar="OUT.png", help="where to write the PNG (default: SCRIPT.png)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="wall-clock limit in seconds (default 10)")
    parser.add_argument("--memory-mb", type=int, default=1024, metavar="M",
                        help="memory the script may use, in MB (default 1024)")
    parser.add_argument("--dpi", type=float, default=None, metavar="D",
                        help="render at this resolution (default: the script's own)")
    parser.add_argument("--svg", action="store_true",
                        help="also write the figure as SVG next to OUT (Python scripts only)")
    parser.add_argument("--json", action="store_true",
                        help="print the whole result as JSON (PNG base64-encoded)")
    parser.add_argument("--check", action="store_true",
                        help="report which isolation layers are active, verified from inside the sandbox")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from core.sandbox import SandboxUnavailable, check_isolation, render

    if args.check:
        try:
            report = check_isolation()
        except SandboxUnavailable as exc:
            raise CliError(f"the sandbox could not start: {exc}") from exc
        tex_report, tex_missing = _tex_check(args)
        if args.json:
            data = json.loads(report.model_dump_json())
            data["tex"] = json.loads(tex_report.model_dump_json()) if tex_report else {"unavailable": tex_missing}
            print(json.dumps(data, indent=2))
        else:
            print("Python (Matplotlib):")
            for layer in report.layers:
                print(f"{'active  ' if layer.active else 'INACTIVE'} {layer.name}: {layer.detail}")
            print(f"{len(report.active)} of {len(report.layers)} layers active")
            print("TeX (TikZ):")
            if tex_report is None:
                print(tex_missing)
            else:
                for layer in tex_report.layers:
                    print(f"{'active  ' if layer.active else 'INACTIVE'} {layer.name}: {layer.detail}")
                print(f"{len(tex_report.active)} of {len(tex_report.layers)} layers active")
        return 0
    if not args.script:
        raise CliError("give a script to render (scigen render SCRIPT.py --out OUT.png) or --check")
    script = Path(args.script)
    if not script.is_file():
        raise CliError(f"{script}: no such file")
    try:
        code = script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{script}: cannot read it as UTF-8 text: {exc}") from exc
    out = Path(args.out) if args.out else script.with_suffix(".png")
    is_tex = script.suffix.lower() == ".tex"
    try:
        if is_tex:
            result = _tex_renderer(args).render(code, timeout_s=args.timeout, memory_mb=args.memory_mb,
                                                dpi=args.dpi)
        else:
            result = render(code, timeout_s=args.timeout, memory_mb=args.memory_mb, dpi=args.dpi, svg=args.svg)
    except ValueError as exc:
        raise CliError(f"{script}: {exc}") from exc
    except SandboxUnavailable as exc:
        raise CliError(str(exc) if is_tex else f"the sandbox could not start: {exc}") from exc
    if result.ok and result.png is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(result.png)
            if args.svg and result.svg is not None:
                out.with_suffix(".svg").write_text(result.svg, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{out}: cannot write the figure: {exc}") from exc
    if args.json:
        print(json.dumps(json.loads(result.model_dump_json()), indent=2))
    elif result.ok:
        print(f"{out}: {result.one_line()} in {result.duration_s:.2f} s")
    else:
        print(f"{script}: {result.one_line()}", file=sys.stderr)
    return 0 if result.ok else 1


def _tex_renderer(args: argparse.Namespace) -> TexRenderer:
    """The process's TeX renderer, its format cached in the workspace (``cache/tex``)."""
    from core.sandbox.tex import default_tex_renderer
    from core.workspace import Workspace

    return default_tex_renderer(Workspace.from_env(args.home).cache_dir / "tex")


def _tex_check(args: argparse.Namespace) -> tuple[IsolationReport | None, str]:
    """The TeX renderer's layers, or (None, the one line saying TeX is absent)."""
    from core.sandbox.tex import TexUnavailable

    try:
        return _tex_renderer(args).check(), ""
    except TexUnavailable as exc:
        return None, str(exc)
