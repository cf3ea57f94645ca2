"""``scigen``: the command line, a thin layer over ``core``.

Each verb group lives in its own module exposing ``register(subparsers)``; the module's
handlers do argument plumbing only and call into ``core``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules registering verbs, in the order ``scigen --help`` lists them.
VERB_MODULES: tuple[str, ...] = (
    "core.cli.workspace_cmd",  # init
    "core.cli.problems_cmd",  # import, problems
    "core.cli.render_cmd",  # render
    "core.cli.models_cmd",  # models list, models check
    "core.cli.generate_cmd",  # generate, runs
    "core.cli.import_images_cmd",  # import-images
    "core.cli.import_official_cmd",  # import-official
    "core.cli.evaluate_cmd",  # evaluate
    "core.cli.quizzes_cmd",  # quizzes generate, quizzes audit, quizzes flagged
    "core.cli.analysis_cmd",  # leaderboard, correlate
    "core.cli.downstream_cmd",  # downstream import, list, scaling
    "core.cli.report_cmd",  # report
    "core.cli.export_cmd",  # export
    "core.cli.review_cmd",  # review export, import, agreement
    "core.cli.arena_cmd",  # arena (pairwise judgements, Bradley-Terry ratings)
    "core.cli.serve_cmd",  # serve (the dashboard; --viewer: read-only, for sharing)
    "core.cli.engine_cmd",  # engine run, engine status, engine resume
)


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scigen",
        description="SciGen Studio: draw scientific figures from text problems and check they are right.",
    )
    parser.add_argument(
        "--home", default=None, help="workspace folder (default: $SCIGEN_HOME, else ./.scigen)"
    )
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB")
    subparsers.required = True
    for module_name in VERB_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"scigen {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
