"""``scigen downstream``: import training outcomes (CSV), list downstream results and scaling fits."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli import CliError

LIST_FORMATS = ("table", "csv", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "downstream",
        help="downstream results: import training outcomes, list them, fit accuracy against data size",
        description=(
            "Accuracy of models trained on generated figures. The paper's table is loaded by 'scigen init'; "
            "'downstream import' adds your own outcomes at several training-set sizes."
        ),
    )
    verbs = group.add_subparsers(dest="downstream_verb", metavar="VERB")
    verbs.required = True

    imp = verbs.add_parser(
        "import",
        help="import a CSV of training outcomes (source, train_samples, benchmark, accuracy)",
        description=(
            "Read a CSV with columns source, train_samples (number of training samples), benchmark, accuracy "
            "(percent), optionally base_model and note. A file with any bad row stores nothing; every error "
            "names the row and field. The rows are stored under the provenance csv:<file name> (replacing "
            "what an earlier import of that file stored), so importing again is idempotent."
        ),
    )
    imp.add_argument("csv", type=Path, metavar="CSV", help="the CSV file")
    imp.add_argument(
        "--provenance", default=None, metavar="LABEL", help="store the rows under LABEL (default: csv:<file name>)"
    )
    imp.set_defaults(handler=run_import)

    lst = verbs.add_parser(
        "list",
        help="list downstream results (reported and imported)",
        description="List every stored downstream result, in published / file order.",
    )
    lst.add_argument("--source", default=None, help="only this training source")
    lst.add_argument("--benchmark", default=None, help="only this benchmark")
    lst.add_argument("--format", choices=LIST_FORMATS, default="table", help="output format (default: table)")
    lst.set_defaults(handler=run_list)

    fit = verbs.add_parser(
        "scaling",
        help="fit accuracy = a + b*log10(train_samples) per source and benchmark",
        description=(
            "Log-linear fit per (source, benchmark) over the rows with a training-set size: slope per decade "
            "(accuracy points per tenfold data), R² and the number of points. A series with fewer than two "
            "sizes gets no fit and says so."
        ),
    )
    fit.add_argument("--benchmark", default=None, help="only this benchmark")
    fit.add_argument("--format", choices=LIST_FORMATS, default="table", help="output format (default: table)")
    fit.set_defaults(handler=run_scaling)


def _open_store(args: argparse.Namespace):
    from core.store import Store  # imported late: listing the verbs must not need the store
    from core.workspace import Workspace

    return Store.open(Workspace.from_env(getattr(args, "home", None)))


def run_import(args: argparse.Namespace) -> int:
    from core.store import StoreError
    from core.store.downstream import DownstreamCsvError, default_provenance, read_downstream_csv

    path: Path = args.csv
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        outcomes = read_downstream_csv(path)
    except DownstreamCsvError as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        raise CliError(f"cannot import {path}: {len(exc.errors)} error(s) — nothing was stored") from None
    provenance = args.provenance or default_provenance(path.name)
    try:
        counts = _open_store(args).import_downstream(provenance, outcomes)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    sized = sum(outcome.train_samples is not None for outcome in outcomes)
    state = "stored" if counts.changed else "unchanged (already stored)"
    print(
        f"{path}: {counts.rows} rows ({sized} with a training-set size) as '{provenance}': {state}"
        + (f"; replaced {counts.previous} earlier rows" if counts.changed and counts.previous else "")
    )
    return 0


def _emit(frame, fmt: str, *, empty: str) -> None:
    if fmt == "json":
        print(frame.to_json(orient="records", indent=2, force_ascii=False))
    elif fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif frame.empty:
        print(empty)
    else:
        print(frame.to_string(index=False, na_rep="—"))


def run_list(args: argparse.Namespace) -> int:
    frame = _open_store(args).downstream_results()
    if args.source is not None:
        frame = frame[frame["source"] == args.source]
    if args.benchmark is not None:
        frame = frame[frame["benchmark"] == args.benchmark]
    _emit(
        frame.reset_index(drop=True),
        args.format,
        empty="no downstream results; run 'scigen init' or 'scigen downstream import FILE'",
    )
    return 0


def run_scaling(args: argparse.Namespace) -> int:
    from core.export.scaling import fit_scaling, fits_table

    frame = _open_store(args).downstream_results()
    if args.benchmark is not None:
        frame = frame[frame["benchmark"] == args.benchmark]
    table = fits_table(fit_scaling(frame))
    _emit(
        table,
        args.format,
        empty="no rows with a training-set size; import a CSV of training outcomes with "
        "'scigen downstream import FILE'",
    )
    return 0
