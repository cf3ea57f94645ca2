"""``scigen import`` (read SciGenBench files into the store) and ``scigen problems`` (list them)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli import CliError
from core.problems.importer import ImportFileError, ImportResult, find_import_files, parse_file
from core.problems.models import SOURCES
from core.problems.taxonomy import ALL_IMAGE_TYPES, SUBJECTS, short_name

LIST_FORMATS = ("table", "json", "csv")
TABLE_COLUMNS = ("uid", "subject", "image_type", "n_quizzes", "question")
_QUESTION_WIDTH = 70


def register(subparsers: argparse._SubParsersAction) -> None:
    imp = subparsers.add_parser(
        "import",
        help="import SciGenBench problems (scigen.json, seephys.json, JSONL) into the store",
        description=(
            "Read one or more SciGenBench files (a JSON array or JSONL; a folder means its *.json/*.jsonl) "
            "and upsert their problems. Malformed quizzes are repaired when unambiguous, else dropped; "
            "every case is printed in the import report. A broken file stores nothing and exits 2."
        ),
    )
    imp.add_argument("paths", nargs="+", metavar="PATH", help="file or folder to import")
    imp.add_argument(
        "--source",
        choices=SOURCES,
        default=None,
        help="source of the problems (default: from the file name: seephys, scigen, else custom)",
    )
    imp.add_argument(
        "--report-json", type=Path, default=None, metavar="FILE", help="also write the report as JSON"
    )
    imp.set_defaults(handler=run_import)

    lst = subparsers.add_parser(
        "problems",
        help="list the problems in the store",
        description="List stored problems, filtered by subject, image type, source or a search string.",
    )
    lst.add_argument("--subject", default=None, help=f"one of: {', '.join(SUBJECTS)}")
    lst.add_argument(
        "--type", dest="image_type", default=None, help="an image type, e.g. 'Physics - Circuit' or 'Circuit'"
    )
    lst.add_argument("--source", choices=SOURCES, default=None, help="only problems from this source")
    lst.add_argument("--search", default=None, help="case-insensitive text in the question or id")
    lst.add_argument("--limit", type=int, default=None, help="show at most N problems")
    lst.add_argument("--format", choices=LIST_FORMATS, default="table", help="output format (default: table)")
    lst.set_defaults(handler=run_problems)


# --------------------------------------------------------------------------------------------
# import


def _open_store(args: argparse.Namespace):
    from core.store import Store  # imported late: listing the verbs must not need the store
    from core.workspace import Workspace

    return Store.open(Workspace.from_env(getattr(args, "home", None)))


def parse_paths(paths: list[str | Path], source: str | None) -> list[ImportResult]:
    """Parse every file first; raise CliError naming every broken file, item and field."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise CliError(f"{path}: no such file or folder")
        found = find_import_files(path)
        if not found:
            raise CliError(f"{path}: no .json or .jsonl files in this folder")
        files.extend(found)
    results: list[ImportResult] = []
    failures: list[ImportFileError] = []
    for path in files:
        try:
            results.append(parse_file(path, source=source))
        except ImportFileError as exc:
            failures.append(exc)
    if failures:
        for exc in failures:
            for error in exc.errors:
                print(f"error: {error}", file=sys.stderr)
        names = ", ".join(exc.file for exc in failures)
        raise CliError(f"cannot import {names}: {failures[0]} — nothing was stored")
    _check_no_cross_file_duplicates(results)
    return results


def _check_no_cross_file_duplicates(results: list[ImportResult]) -> None:
    owner: dict[str, str] = {}
    for result in results:
        for problem in result.problems:
            if problem.uid in owner:
                raise CliError(
                    f"{result.file}: field 'id': {problem.id!r} (source {problem.source}) is also in {owner[problem.uid]}"
                    " — nothing was stored"
                )
            owner[problem.uid] = result.file


def run_import(args: argparse.Namespace) -> int:
    results = parse_paths(args.paths, args.source)
    for result in results:
        print(result.report.to_text())
    store = _open_store(args)
    stored: list[dict] = []
    for result in results:
        counts = store.upsert_problems(result.problems)  # one transaction per file
        row = {
            "file": result.file,
            "inserted": counts.inserted,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
        }
        stored.append(row)
        print(
            f"{result.file}: stored {len(result.problems)} problems: "
            f"{counts.inserted} inserted, {counts.updated} updated, {counts.unchanged} unchanged"
        )
    if args.report_json is not None:
        payload = {"files": [r.report.to_dict() for r in results], "store": stored}
        args.report_json.parent.mkdir(parents=True, exist_ok=True)
        args.report_json.write_text(
            json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0


# --------------------------------------------------------------------------------------------
# problems


def resolve_subject(value: str | None) -> str | None:
    if value is None:
        return None
    for subject in SUBJECTS:
        if subject.lower() == value.strip().lower():
            return subject
    raise CliError(f"unknown subject {value!r}; expected one of: {', '.join(SUBJECTS)}")


def resolve_image_type(value: str | None) -> str | None:
    """An exact image type, or the unique type whose full or short name matches case-insensitively."""
    if value is None:
        return None
    wanted = value.strip().lower()
    matches = [t for t in ALL_IMAGE_TYPES if wanted in (t.lower(), short_name(t).lower())]
    if len(matches) == 1:
        return matches[0]
    raise CliError(f"unknown image type {value!r}; expected one of: {', '.join(ALL_IMAGE_TYPES)}")


def _one_line(text: object, width: int = _QUESTION_WIDTH) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def format_table(frame) -> str:
    """Left-aligned plain-text table of the listing's main columns (question on one line)."""
    rows = [list(TABLE_COLUMNS)]
    for record in frame.loc[:, list(TABLE_COLUMNS)].itertuples(index=False):
        uid, subject, image_type, n_quizzes, question = record
        rows.append(
            [
                str(uid),
                str(subject),
                image_type if isinstance(image_type, str) else "–",
                str(n_quizzes),
                _one_line(question),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    )


def run_problems(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be a positive number")
    filters = {
        "subject": resolve_subject(args.subject),
        "image_type": resolve_image_type(args.image_type),
        "source": args.source,
        "search": args.search,
    }
    store = _open_store(args)
    frame = store.list_problems(**filters, limit=args.limit)
    if args.format == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
        return 0
    total = store.count_problems(**filters)
    if frame.empty:
        print("no problems match" if total == 0 else "no problems in this range")
        return 0
    print(format_table(frame))
    print(f"{len(frame)} of {total} problems")
    return 0
