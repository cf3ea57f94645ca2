"""``scigen report``: write the shareable static report, one self-contained HTML file."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report (opens offline) of the leaderboard, charts and figures",
        description=(
            "Write ONE HTML file with everything inlined (Plotly figures with plotly.js, thumbnails as data "
            "URIs): leaderboard with intervals (measured and reported apart), domain heatmap, judge radar, "
            "R_inv vs FID correlation, downstream results, a thumbnail gallery with pass/fail, provenance."
        ),
    )
    report.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write the HTML file")
    report.add_argument(
        "--runs", nargs="+", default=None, metavar="NAME", help="only these runs (leaderboard names; default: all)"
    )
    report.add_argument("--title", default=None, help="the report's title (default: 'SciGen Studio report')")
    report.add_argument(
        "--gallery-limit", type=int, default=None, metavar="N", help="figures shown per run in the gallery (default: 24)"
    )
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from core.export.report import DEFAULT_TITLE, GALLERY_LIMIT, ReportError, write_report
    from core.store import Store
    from core.workspace import Workspace

    if args.gallery_limit is not None and args.gallery_limit < 0:
        raise CliError(f"--gallery-limit must be >= 0, got {args.gallery_limit}")
    if args.out.exists() and args.out.is_dir():
        raise CliError(f"{args.out}: is a folder; give a file name such as report.html")
    workspace = Workspace.from_env(getattr(args, "home", None))
    store = Store.open(workspace)
    try:
        summary = write_report(
            store, workspace, args.out, runs=args.runs, title=args.title or DEFAULT_TITLE,
            gallery_limit=GALLERY_LIMIT if args.gallery_limit is None else args.gallery_limit,
        )
    except ReportError as exc:
        raise CliError(str(exc)) from None
    print(
        f"wrote {summary.path} ({summary.bytes / 1e6:.1f} MB): {summary.runs} runs, {summary.figures} charts, "
        f"{summary.thumbnails} thumbnails"
    )
    return 0
