"""``scigen import-images``: bring figures made elsewhere into the store as a generation run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.cli import CliError
from core.problems.models import SOURCES

GENERATOR_KINDS = ("pixel", "code")
EXIT_ALL_STORED = 0
EXIT_SOME_REPORTED = 1
"""Some items were not stored (unmatched, ambiguous, unreadable image, duplicate): see the report."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-images",
        help="import figures made elsewhere (a folder of images, or Parquet / a Hugging Face export) as a run",
        description=(
            "Store figures made elsewhere as a generation run. PATH is a folder of {problem_id}.png "
            "(.jpg, .jpeg, .webp are converted to PNG; the full uid with ':' as '_' also works), a Parquet "
            "file, or a folder of Parquet shards (e.g. one model's folder of the paper's Hugging Face "
            "dataset) with the columns image, original_question, answer, image_type. Parquet rows match "
            "stored problems by normalised question text (Unicode NFKC, {eq} markup removed, case and "
            "whitespace ignored, spacing around punctuation ignored); image_type and answer break ties. "
            "Unmatched and ambiguous rows, unreadable images and duplicates are reported, never dropped "
            "silently. Importing the same input again changes nothing. Exit status: 0 when every item "
            "was stored, 1 when some were reported instead, 2 when the input cannot be read."
        ),
    )
    parser.add_argument(
        "path", type=Path, metavar="PATH", help="image folder, Parquet file or folder of shards"
    )
    parser.add_argument(
        "--run", required=True, metavar="NAME", help="name of the generation run to store into"
    )
    parser.add_argument(
        "--generator-kind",
        choices=GENERATOR_KINDS,
        default="pixel",
        help="how the figures were made: pixel (a text-to-image model) or code (default: pixel)",
    )
    parser.add_argument(
        "--model",
        default=None,
        metavar="LABEL",
        help="the model that made the figures, as shown with the run",
    )
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default=None,
        help="match only problems of this source (default: every stored problem)",
    )
    parser.add_argument(
        "--report-json", type=Path, default=None, metavar="FILE", help="also write the report as JSON"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="N",
        help="rows read and stored at a time (default: 32)",
    )
    parser.set_defaults(handler=run_import_images)


class _RunSink:
    """Stores imported figures through ``core.jobs``: the run is created with its first figure (an
    import that matches nothing adds no run), and a figure already stored with the same image and
    notes is left alone, so importing the same input again changes nothing (not even timestamps)."""

    def __init__(self, store, workspace, *, name: str, spec, generator_kind: str, model: str | None,
                 selection: dict) -> None:  # fmt: skip
        self.store, self.workspace, self.name = store, workspace, name
        self.run_options = {
            "spec": spec,
            "generator_kind": generator_kind,
            "model": model,
            "selection": selection,
        }
        self.run_id: str | None = None
        self.stored: dict[str, list[str]] = {}  # problem uid -> notes of its ok figure already in the run
        self.written = self.replaced = self.unchanged = 0

    def _open_run(self) -> str:
        from core.jobs import JobError, create_run

        try:
            run_id = create_run(self.store, name=self.name, **self.run_options)
        except JobError as exc:
            raise CliError(str(exc)) from None
        frame = self.store.generations(run_id, status="ok")
        self.stored = {
            uid: list(notes if notes is not None else [])
            for uid, notes in zip(frame["problem_uid"], frame["notes"], strict=True)
        }
        return run_id

    def _same_as_stored(self, result) -> bool:
        if self.stored.get(result.problem_uid) != list(result.notes):
            return False
        path = self.workspace.figure_path(self.name, result.problem_uid)
        try:
            return path.read_bytes() == result.image
        except OSError:
            return False

    def __call__(self, results) -> None:
        from core.jobs import save_results

        if self.run_id is None:
            self.run_id = self._open_run()
        changed = [result for result in results if not self._same_as_stored(result)]
        self.unchanged += len(results) - len(changed)
        self.replaced += sum(result.problem_uid in self.stored for result in changed)
        self.written += len(changed)
        if changed:
            save_results(self.store, self.workspace, self.run_id, self.name, changed)


def run_import_images(args: argparse.Namespace) -> int:
    from core.generation.base import GeneratorSpec
    from core.generation.imported import (
        DEFAULT_BATCH_SIZE,
        IMPORTED_GENERATOR,
        ImportInputError,
        ProblemIndex,
        discover_input,
        import_outputs,
    )
    from core.jobs import ProblemSelection
    from core.store import Store
    from core.workspace import Workspace

    batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    if batch_size < 1:
        raise CliError("--batch-size must be a positive number")
    if not args.run.strip():
        raise CliError("--run must name the run")
    try:
        plan = discover_input(args.path)
    except ImportInputError as exc:
        raise CliError(f"{exc} — nothing was stored") from None

    workspace = Workspace.from_env(getattr(args, "home", None)).ensure()
    store = Store.open(workspace)
    records = store.list_problems(source=args.source).to_dict("records")
    if not records:
        where = f" of source {args.source}" if args.source else ""
        raise CliError(f"the store holds no problems{where} to match against: run 'scigen import' first")
    sink = _RunSink(
        store,
        workspace,
        name=args.run,
        spec=GeneratorSpec.create(
            IMPORTED_GENERATOR, path=str(plan.path.resolve()), kind=args.generator_kind, model=args.model
        ),
        generator_kind=args.generator_kind,
        model=args.model,
        selection=ProblemSelection(source=args.source).to_dict(),
    )
    try:
        summary = import_outputs(
            plan, ProblemIndex.from_records(records), sink, batch_size=batch_size,
            scope=[args.source] if args.source else [],
        )  # fmt: skip
    except ImportInputError as exc:
        raise CliError(f"{exc} — the rows before it were stored") from None

    print(summary.to_text())
    if sink.run_id is None:
        print(f"run {args.run!r}: nothing matched, no run written")
    else:
        print(
            f"run {args.run!r} ({sink.run_id}): {summary.stored} figures: {sink.written - sink.replaced} new, "
            f"{sink.replaced} replaced, {sink.unchanged} unchanged"
        )
    if args.report_json is not None:
        payload = {
            "run": args.run,
            "run_id": sink.run_id,
            "figures": {
                "new": sink.written - sink.replaced,
                "replaced": sink.replaced,
                "unchanged": sink.unchanged,
            },
            "counts": summary.counts(),
            **summary.model_dump(),
        }
        args.report_json.parent.mkdir(parents=True, exist_ok=True)
        args.report_json.write_text(
            json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    not_stored = sum(count for kind, count in summary.counts().items() if kind != "ignored")
    return EXIT_SOME_REPORTED if not_stored else EXIT_ALL_STORED
