"""``scigen init``: create the workspace and seed it with the bundled data (idempotent)."""

from __future__ import annotations

import argparse
import sys

from core.workspace import Workspace


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create the workspace and seed it: sample, reported results, gold figures, scored offline runs",
        description=(
            "Create the workspace ($SCIGEN_HOME, default ./.scigen) and load the bundled data: the "
            "sample problems, the paper's reported results, the sample's gold figures, and two "
            "offline runs over the sample (sample-reference: the gold scripts; sample-text-card: "
            "the adversarial text-only baseline) scored by the offline evaluators (OCR quizzes, "
            "figure facts, PSNR, SSIM). The first run takes a few minutes; running it again does "
            "nothing unless the bundled data changed (or --force)."
        ),
    )
    parser.add_argument("--force", action="store_true", help="seed again even if already seeded")
    parser.add_argument(
        "--no-runs", action="store_true", help="load problems and reported results only (seconds, not minutes)"
    )
    parser.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    from core.seed import seed_workspace  # deferred: keeps `scigen --help` fast

    workspace = Workspace.from_env(args.home)

    live = sys.stderr.isatty()

    def show(step: str, done: int, total: int) -> None:
        # A live counter on a terminal; one line per finished step in logs (make run, CI).
        if live:
            print(f"\r  {step}: {done}/{total}", end="\n" if done >= total else "", file=sys.stderr, flush=True)
        elif done >= total:
            print(f"  {step}: {done}/{total}", file=sys.stderr, flush=True)

    report = seed_workspace(workspace, progress=show, force=args.force, runs=not args.no_runs)
    print(report.summary())
    return 0
