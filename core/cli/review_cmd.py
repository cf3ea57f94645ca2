"""``scigen review``: move reviewers' ratings as CSV (export, import) and print judge-human agreement."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "review",
        help="people's ratings of figures: export/import them as CSV, show judge-human agreement",
        description=(
            "Reviewers rate figures on the judge's five dimensions (0-2) and mark each quiz readable / not "
            "readable / bad, on the dashboard's Review page or offline in a CSV sheet."
        ),
    )
    verbs = group.add_subparsers(dest="review_verb", metavar="VERB")
    verbs.required = True

    exp = verbs.add_parser(
        "export",
        help="write ratings (or a blank sheet of items to rate) as CSV",
        description=(
            "Columns: run_id, problem_uid, reviewer, judge_cf ... judge_er (0, 1, 2 or blank), quiz_verdicts "
            "(0=readable;1=bad_quiz), question and image_path (for the reader). With --plan, a sheet of the "
            "items that sampling plan draws for --reviewer, to fill in and import."
        ),
    )
    exp.add_argument("--run", action="append", required=True, metavar="NAME", help="generation run (repeatable)")
    exp.add_argument("--reviewer", default=None, help="only this reviewer's ratings (with --plan: who fills it in)")
    exp.add_argument("--plan", default=None, choices=("stratified", "judges_disagree", "quiz_vs_judge"),
                     help="write a blank sheet of the items this sampling plan draws")
    exp.add_argument("--size", type=int, default=20, help="items in a blank sheet (default: 20)")
    exp.add_argument("--seed", type=int, default=0, help="seed of the stratified draw (default: 0)")
    exp.add_argument("-o", "--output", type=Path, default=None, help="write here instead of stdout")
    exp.set_defaults(handler=run_export)

    imp = verbs.add_parser(
        "import",
        help="store the ratings of a filled-in CSV sheet",
        description="Each row's figure must exist; its ratings by that reviewer replace earlier ones. "
        "A file with a bad row stores nothing.",
    )
    imp.add_argument("csv", type=Path, metavar="CSV", help="the CSV file")
    imp.set_defaults(handler=run_import)

    agree = verbs.add_parser(
        "agreement",
        help="judge vs reviewers per dimension (alpha, weighted kappa, 95%% intervals)",
        description="Krippendorff's alpha (ordinal) and quadratic-weighted kappa of each judge against the "
        "reviewers, per dimension, with intervals from resampling figures.",
    )
    agree.add_argument("--run", action="append", required=True, metavar="NAME", help="generation run (repeatable)")
    agree.set_defaults(handler=run_agreement)


def _open_store(args: argparse.Namespace):
    from core.store import Store  # imported late: listing the verbs must not need the store
    from core.workspace import Workspace

    return Store.open(Workspace.from_env(getattr(args, "home", None)))


def _run_ids(store, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        run = store.find_run("generation", name) or store.get_run(name)
        if run is None or run.kind != "generation":
            raise CliError(f"no generation run {name!r}; see 'scigen runs'")
        ids.append(run.run_id)
    return ids


def run_export(args: argparse.Namespace) -> int:
    from core.review.exchange import export_csv
    from core.review.sessions import draw_items

    store = _open_store(args)
    run_ids = _run_ids(store, args.run)
    if args.plan is not None:
        if not args.reviewer:
            raise CliError("a blank sheet (--plan) needs --reviewer: who fills it in")
        items = draw_items(store, run_ids, args.plan, args.size, args.seed)
        text = export_csv(store, run_ids, blank_items=items, blank_reviewer=args.reviewer)
    else:
        text = export_csv(store, run_ids, reviewer=args.reviewer)
    rows = text.count("\n") - 1
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"{args.output}: {rows} row(s)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from core.review.exchange import ImportError_, import_csv

    if not args.csv.is_file():
        raise CliError(f"{args.csv}: no such file")
    try:
        written = import_csv(_open_store(args), args.csv)
    except ImportError_ as exc:
        raise CliError(f"cannot import {args.csv}: {exc}; nothing was stored") from None
    print(f"{args.csv}: ratings of {written} figure(s) stored")
    return 0


def run_agreement(args: argparse.Namespace) -> int:
    from core.review.checks import judge_check

    store = _open_store(args)
    check = judge_check(store, _run_ids(store, args.run))
    if check.table.empty:
        print("no figure has both a reviewer's rating and a judge score yet")
        return 0
    print(check.table.round(3).to_string(index=False, na_rep="—"))
    if check.note:
        print(check.note)
    return 0
