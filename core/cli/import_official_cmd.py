"""``scigen import-official``: results of the official SciGenBench code as measured runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli import CliError

EXIT_ALL_IMPORTED = 0
EXIT_SOME_REPORTED = 1
"""Some rows, files or images were left out: see the report."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-official",
        help="import the official SciGenBench code's per-model results (CSVs and images) as runs",
        description=(
            "Read RESULTS_DIR/<dataset>/quiz/<model>_detailed_evaluation.csv, vqa/<model>_eval_cot.csv, "
            "llm_as_judge/<model>_quality_scores.csv and (seephys) t2i/<model>_t2i_metrics.csv, and the "
            "images IMAGES_DIR/<dataset>/<model>/<id>.png|jpg (also under an images/ subfolder). Each model "
            "becomes a generation run '<model> (official <dataset>)' with its figures and an evaluation run "
            "with its quiz verdicts, judge scores and metrics, in the paper's protocol. The numbers equal "
            "the official summary's: judge means over rows with all five scores, quizzes and the open "
            "question merged per image (scigen), images with no figure left out, errored answers dropped; "
            "the strict R_inv is stored beside them. Malformed rows are reported (file, row, column) and "
            "left out; nothing else in the store is touched; importing the same files again changes "
            "nothing. The problems must be imported first (scigen import). Exit status: 0 when everything "
            "was imported, 1 when some rows or files were reported, 2 when nothing could be read."
        ),
    )
    parser.add_argument("results_dir", type=Path, metavar="RESULTS_DIR", help="the official results/ folder")
    parser.add_argument("--images", type=Path, default=None, metavar="IMAGES_DIR", help="the official images/ folder")
    parser.add_argument("--dataset", choices=("scigen", "seephys"), default="scigen", help="which dataset (default: scigen)")
    parser.add_argument("--model", action="append", default=[], metavar="NAME",
                        help="import only this model (repeatable; default: every model found)")
    parser.set_defaults(handler=run_import_official)


def run_import_official(args: argparse.Namespace) -> int:
    from core.importing.official import OfficialImportError, import_official
    from core.store import Store
    from core.workspace import Workspace

    workspace = Workspace.from_env(getattr(args, "home", None)).ensure()
    store = Store.open(workspace)
    try:
        done = import_official(
            store, workspace, args.results_dir, dataset=args.dataset, images_dir=args.images, models=args.model
        )
    except OfficialImportError as exc:
        raise CliError(f"{exc} — nothing was stored") from None
    reported = 0
    for result in done:
        print(f"{result.model}: {result.state}, {result.figures} figures -> runs {result.generation_run!r}, "
              f"{result.evaluation_run!r}")
        if result.state == "kept":
            print("  the runs stored before are left as they were: a file below could not be read")
        for issue in result.issues:
            print(f"  left out: {issue}")
        reported += len(result.issues)
    print(f"{len(done)} models imported" + (f"; {reported} rows, files or images left out (listed above)" if reported else ""))
    return EXIT_SOME_REPORTED if reported else EXIT_ALL_IMPORTED
