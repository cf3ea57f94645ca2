"""Ratings as CSV, for reviewers working offline (``scigen review export|import``).

One row per (figure, reviewer): ``run_id, problem_uid, reviewer``, the five dimensions
(``judge_cf`` ... ``judge_er``: 0, 1, 2 or blank = not rated), ``quiz_verdicts``
(``0=readable;1=bad_quiz``; verdicts readable, not_readable, bad_quiz) and, for the reader only,
``question`` and ``image_path`` (ignored on import). An export can also be a blank sheet: the
items a sampling plan drew, for a reviewer to fill in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from core.review.sessions import DIMENSIONS, Item
from core.store import Store
from core.store.reviews import ReviewMarks

__all__ = ["CSV_COLUMNS", "ImportError_", "export_csv", "import_csv", "parse_csv"]

CSV_COLUMNS: tuple[str, ...] = ("run_id", "problem_uid", "reviewer", *DIMENSIONS, "quiz_verdicts", "question",
                                "image_path")
VERDICTS = ("readable", "not_readable", "bad_quiz")


class ImportError_(ValueError):  # noqa: N801 - "ImportError" is Python's own
    """A CSV row that cannot be read (message names the line)."""


def _verdict_text(verdicts: dict[int, str]) -> str:
    return ";".join(f"{index}={verdict}" for index, verdict in sorted(verdicts.items()))


def export_csv(
    store: Store, run_ids: Sequence[str], *, reviewer: str | None = None, blank_items: Sequence[Item] | None = None,
    blank_reviewer: str = "",
) -> str:
    """CSV text of the stored ratings of ``run_ids`` (one reviewer's, or everyone's); with
    ``blank_items`` a sheet of those items, pre-filled with ``blank_reviewer``'s ratings if any."""
    ratings = store.review_ratings(run_ids, reviewer=reviewer if blank_items is None else blank_reviewer or None)
    verdicts = store.review_verdicts(run_ids, reviewer=reviewer if blank_items is None else blank_reviewer or None)
    scores: dict[tuple[str, str, str], dict[str, object]] = {}
    for row in ratings.itertuples():
        scores.setdefault((row.run_id, row.problem_uid, row.reviewer), {})[row.dimension] = (
            "" if pd.isna(row.score) else int(row.score))
    marks: dict[tuple[str, str, str], dict[int, str]] = {}
    for row in verdicts.itertuples():
        marks.setdefault((row.run_id, row.problem_uid, row.reviewer), {})[int(row.quiz_index)] = row.verdict
    keys = sorted(set(scores) | set(marks)) if blank_items is None \
        else [(run_id, uid, blank_reviewer) for run_id, uid in blank_items]
    figures = store.figure_outcomes(list(run_ids))
    paths = {(r.run_id, r.problem_uid): r.image_path for r in figures.itertuples()}
    questions = {p.uid: p.question for p in store.get_problems(uids=sorted({key[1] for key in keys}))} if keys else {}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for key in keys:
        run_id, uid, who = key
        writer.writerow({
            "run_id": run_id, "problem_uid": uid, "reviewer": who,
            **{dimension: scores.get(key, {}).get(dimension, "") for dimension in DIMENSIONS},
            "quiz_verdicts": _verdict_text(marks.get(key, {})),
            "question": questions.get(uid, ""), "image_path": paths.get((run_id, uid)) or "",
        })
    return buffer.getvalue()


def _score(text: str, line: int, dimension: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if text not in ("0", "1", "2"):
        raise ImportError_(f"line {line}: {dimension} must be 0, 1, 2 or blank, got {text!r}")
    return int(text)


def _verdicts(text: str, line: int) -> dict[int, str]:
    found: dict[int, str] = {}
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        index, _, verdict = part.partition("=")
        if not index.strip().isdigit() or verdict.strip() not in VERDICTS:
            raise ImportError_(f"line {line}: quiz verdict {part!r} is not INDEX=readable|not_readable|bad_quiz")
        found[int(index)] = verdict.strip()
    return found


def parse_csv(text: str) -> list[ReviewMarks]:
    """The rows of an exported (and filled-in) CSV as marks; rows with nothing rated are skipped."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in ("run_id", "problem_uid", "reviewer", *DIMENSIONS) if name not in (reader.fieldnames or [])]
    if missing:
        raise ImportError_(f"the CSV lacks the column(s) {', '.join(missing)}")
    marks = []
    for line, row in enumerate(reader, start=2):
        reviewer = (row.get("reviewer") or "").strip()
        scores = {dimension: _score(row.get(dimension) or "", line, dimension) for dimension in DIMENSIONS}
        verdicts = _verdicts(row.get("quiz_verdicts") or "", line)
        if all(score is None for score in scores.values()) and not verdicts:
            continue
        if not reviewer:
            raise ImportError_(f"line {line}: the reviewer column is empty")
        marks.append(ReviewMarks(run_id=row["run_id"].strip(), problem_uid=row["problem_uid"].strip(),
                                 reviewer=reviewer, scores={d: s for d, s in scores.items() if s is not None},
                                 verdicts=verdicts))
    return marks


def import_csv(store: Store, path: Path) -> int:
    """Store the ratings of the CSV at ``path`` (each figure's marks by its reviewer replaced);
    returns figures written. Raises ImportError_ for an unreadable row or an unknown figure."""
    marks = parse_csv(path.read_text(encoding="utf-8"))
    for mark in marks:
        if store.figure(mark.run_id, mark.problem_uid) is None:
            raise ImportError_(f"no figure of problem {mark.problem_uid!r} in generation run {mark.run_id!r}")
    return store.save_review_marks(marks)
