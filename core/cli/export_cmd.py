"""``scigen export``: a verified training set from a generation run (verl, ShareGPT or HF image folder)."""

from __future__ import annotations

import argparse
import json
import sys

from core.cli import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    ex = subparsers.add_parser(
        "export",
        help="export a run's verified figures as a training set (verl parquet, sharegpt json, hf image folder)",
        description=(
            "Export the figures of the generation run NAME that pass the filters, each with a prompt whose "
            "given values must be read from the figure, the answer and provenance. Near-duplicate images "
            "are removed (perceptual hash) and, with --eval-split, items overlapping the evaluation split "
            "are excluded (or flagged with --flag-contaminated). Writes the data, README.md (dataset card) "
            "and export_report.json into --out."
        ),
    )
    ex.add_argument("--run", required=True, metavar="NAME", help="the generation run (see 'scigen runs')")
    ex.add_argument("--format", required=True, choices=("verl", "sharegpt", "hf"), help="output format")
    ex.add_argument("--out", required=True, metavar="DIR", help="output folder (must be empty unless --overwrite)")
    ex.add_argument(
        "--min-rinv", type=float, default=1.0, metavar="X",
        help="minimum per-image R_inv, the share of its quizzes answered correctly, 0-1 (default 1.0 = all; "
        "0 = no quiz filter)",
    )
    ex.add_argument(
        "--min-judge", default=None, metavar="DIM=S[,...]",
        help="minimum judge scores (0-2) per dimension: C&F, L&P, R&O, SP, E&R, e.g. 'C&F=2,SP=2'",
    )
    ex.add_argument("--exclude-blind-quizzes", action="store_true",
                    help="compute R_inv without quizzes flagged blind-solvable ('scigen quizzes audit')")
    ex.add_argument("--eval-split", default=None, metavar="PATH|SOURCE",
                    help="evaluation split to check contamination against: a .json/.jsonl/.parquet/.txt file of "
                    "questions, or a stored problem source (scigen, seephys)")
    ex.add_argument("--flag-contaminated", action="store_true",
                    help="keep contaminated items, flagged 'contaminated', instead of excluding them")
    ex.add_argument("--no-dedup", action="store_true", help="keep near-duplicate images")
    ex.add_argument("--overwrite", action="store_true", help="replace the contents of a non-empty --out")
    ex.add_argument("--output", choices=("text", "json"), default="text", help="summary format (default: text)")
    ex.set_defaults(handler=run_export)


def format_summary(summary) -> str:  # summary: core.export.ExportSummary
    lines = [
        f"exported {summary.exported} items of run {summary.run!r} as {summary.format} to {summary.out_dir}",
        f"  figures ok {summary.figures_ok} (failed {summary.figures_failed}); passed filters "
        f"{summary.passed_filters}",
    ]
    lines += [f"  rejected, {reason}: {count}" for reason, count in summary.rejected.items()]
    lines.append(f"  near-duplicates removed: {len(summary.near_duplicates)}" if summary.dedup
                 else "  near-duplicates: not checked (--no-dedup)")
    if summary.contamination:
        c = summary.contamination
        verb = "excluded" if summary.contamination_action == "exclude" else "flagged"
        lines.append(f"  contamination vs {c['split']}: {c['exact']} exact, {c['ngram']} n-gram; "
                     f"{c['contaminated']} {verb}")
    lines.append("  per subject: " + (", ".join(f"{k} {v}" for k, v in summary.per_subject.items()) or "none"))
    lines.append(f"  files: {', '.join(summary.files)}")
    return "\n".join(lines)


def run_export(args: argparse.Namespace) -> int:
    from core.export import (
        EvalSplitError,
        ExportError,
        ExportFilters,
        export_training_set,
        parse_judge_thresholds,
    )
    from core.store import Store, StoreError
    from core.workspace import Workspace

    if not args.run.strip():
        raise CliError("--run must name a generation run")
    try:
        filters = ExportFilters(
            min_rinv=args.min_rinv,
            min_judge=parse_judge_thresholds(args.min_judge),
            exclude_blind_quizzes=args.exclude_blind_quizzes,
        )
        workspace = Workspace.from_env(getattr(args, "home", None)).ensure()
        summary = export_training_set(
            Store.open(workspace), workspace, run_name=args.run, out_dir=args.out, fmt=args.format,
            filters=filters, eval_split=args.eval_split, dedup=not args.no_dedup,
            contamination_action="flag" if args.flag_contaminated else "exclude", overwrite=args.overwrite,
        )
    except (ExportError, EvalSplitError, StoreError) as exc:
        raise CliError(str(exc)) from None
    if args.output == "json":
        print(json.dumps(summary.model_dump(), indent=2, ensure_ascii=False))
    else:
        print(format_summary(summary))
    if summary.exported == 0:
        print("nothing passed the filters; loosen --min-rinv / --min-judge or evaluate more figures",
              file=sys.stderr)
    return 0
