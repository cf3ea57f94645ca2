"""``scigen init``: create the workspace and seed it with the bundled data (idempotent)."""

from __future__ import annotations

import argparse
import sys

from core.workspace import Workspace


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create the workspace and seed it with the bundled sample and reported results",
        description=(
            "Create the workspace ($SCIGEN_HOME, default ./.scigen) and load the bundled data: the "
            "sample problems with their gold figures and the paper's reported results. Running it "
            "again does nothing unless the bundled data changed (or --force)."
        ),
    )
    parser.add_argument("--force", action="store_true", help="seed again even if already seeded")
    parser.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    from core.seed import seed_workspace  # deferred: keeps `scigen --help` fast

    workspace = Workspace.from_env(args.home)

    def show(step: str, done: int, total: int) -> None:
        print(f"\r  {step}: {done}/{total}", end="\n" if done >= total else "", file=sys.stderr, flush=True)

    report = seed_workspace(workspace, progress=show, force=args.force)
    print(report.summary())
    return 0
