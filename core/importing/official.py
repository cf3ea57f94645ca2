"""Results of the official SciGenBench code (github.com/SciGenBench/SciGenBench), read from its
per-model CSV files and images, checked row by row, and stored as measured runs in the paper's
protocol (``scigen import-official``).

Files read, per dataset (``scigen`` or ``seephys``) and model, under ``RESULTS_DIR/<dataset>/``
(``RESULTS_DIR`` may also be the folder holding ``results/``):

* ``quiz/<model>_detailed_evaluation.csv``: id, model, quiz_idx, question_text, pred, gt,
  is_correct, error_msg. ``quiz_idx >= 0``: one quiz answered; ``-1``: no image found or no
  quizzes (the row's error_msg says which); ``-2``: the open multimodal question (the official
  ``ve_infer.py`` appends it here); a blank quiz_idx with an error_msg is ``ve_infer.py``'s
  "Image not found" row.
* ``vqa/<model>_eval_cot.csv``: id, is_correct, error_msg (the open question, older layout).
* ``llm_as_judge/<model>_quality_scores.csv``: id and the five judge columns (0-2).
* ``t2i/<model>_t2i_metrics.csv`` (seephys): id, psnr, ssim, clip_score.
* images: ``IMAGES_DIR/<dataset>/<model>/<id>.png|jpg`` or ``.../<model>/images/<id>.png|jpg``,
  the first readable one in that order (as the official scripts look them up).

The numbers stored equal what the official summary (``run.py summarize_results``) computes from
the same files: judge means over rows with all five scores; quiz answers (every ``quiz_idx >= 0``
row, an error_msg such as "Corrupted image" counting as wrong) merged per image with the
error-free open-question rows on scigen; images with no figure left out (perfect image rate and
question accuracy, see :func:`core.evaluation.aggregates.paper_rule_aggregates`); T2I means over
rows with all three values. The strict R_inv and quiz accuracy are stored beside them.

A malformed row (an id naming no stored problem, a quiz index outside the problem's quizzes, a
value that is not a number ...) is reported as ``file: row N, column 'c': reason`` and left out;
the rest is imported. A file without a required column is reported and skipped whole. Each model
becomes one generation run (its figures) and one evaluation run (verdicts, scores, metrics,
aggregates); nothing else in the store is touched, and importing the same files again changes
nothing (the import's content digest is compared first).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.evaluation.aggregates import OPEN_QUESTION_METRIC, figure_aggregates, scaled_values
from core.evaluation.base import EvaluatorSpec
from core.generation.base import AttemptRecord, FigureResult, GeneratorSpec
from core.generation.imported import ImageDecodeError, to_png
from core.jobs import create_run, save_results
from core.jobs.runs import ensure_evaluation_run
from core.jobs.scores import evaluation_rows
from core.protocols import OFFICIAL_ANSWERER_MODEL, OFFICIAL_DATASETS, official_protocol
from core.store import Store
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, MetricValueRow, QuizAnswerRow
from core.workspace import Workspace

OFFICIAL_GENERATOR = "official-import"
"""Spec name of the runs an official import makes (generation and evaluation)."""
MISSING_ROW = -1
OPEN_QUESTION_ROW = -2
JUDGE_COLUMNS: dict[str, str] = {
    "Correctness_Fidelity": "judge_cf",
    "Layout_Precision": "judge_lp",
    "Readability_Occlusion": "judge_ro",
    "Scientific_Plausibility": "judge_sp",
    "Expressiveness_Richness": "judge_er",
}
T2I_COLUMNS: dict[str, str] = {"psnr": "psnr", "ssim": "ssim", "clip_score": "clip"}
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg")
QUIZ_ERROR = "bad_image"
"""error_class of a quiz row the official code wrote with an error_msg ("Corrupted image"): it
had an image and counts as wrong, in the official summary and here."""
MISSING_IMAGE = "missing_image"
IMAGE_NOT_IMPORTED = "image_not_imported"
"""error_class of a figure the official code scored whose file was not imported: its scores count."""
INCOMPLETE_ROW = "incomplete_row"
DIGEST_KEY = "official-import:{dataset}:{model}"
"""Meta key holding the content digest of a model's last import."""


class OfficialImportError(ValueError):
    """The results folder as a whole cannot be used (missing, no result files, unknown dataset)."""


@dataclass(frozen=True)
class RowIssue:
    """A file, row or value left out, and why."""

    file: str
    row: int | None
    """1-based data row (the header is not counted); None for the whole file."""
    column: str | None
    message: str

    def __str__(self) -> str:
        parts = [f"row {self.row}"] if self.row is not None else []
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        where = ", ".join(parts)
        return f"{self.file}: {where}: {self.message}" if where else f"{self.file}: {self.message}"


@dataclass
class ModelResults:
    """Everything read for one model, valid rows only (the rest is in ``issues``)."""

    dataset: str
    model: str
    quizzes: dict[tuple[str, int], tuple[bool, str, str, str]] = field(default_factory=dict)
    """(uid, quiz index) -> (correct, pred, gt, error_msg)."""
    no_figure: dict[str, str] = field(default_factory=dict)
    """uid -> the error_msg of its quiz_idx -1 row ('Image not found', 'No quizzes found')."""
    open_question: dict[str, tuple[bool | None, str]] = field(default_factory=dict)
    """uid -> (correct, error_msg); correct None when the row errored (dropped by the summary)."""
    judge: dict[str, tuple[dict[str, int | None], int]] = field(default_factory=dict)
    """uid -> (judge dimension -> score, data row)."""
    t2i: dict[str, dict[str, float | None]] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    """uid -> PNG bytes of its figure."""
    files: list[str] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)

    def uids(self) -> list[str]:
        found = {uid for uid, _ in self.quizzes} | set(self.no_figure) | set(self.open_question)
        return sorted(found | set(self.judge) | set(self.t2i) | set(self.images))

    def has_figure(self, uid: str) -> bool:
        """The official code found an image for ``uid`` (or one was given): answered quizzes, an
        error-free open question, any judge score or T2I value, or a readable image file."""
        return (
            uid in self.images
            or any(key[0] == uid for key in self.quizzes)
            or (uid in self.open_question and self.open_question[uid][0] is not None)
            or (uid in self.judge and any(v is not None for v in self.judge[uid][0].values()))
            or (uid in self.t2i and any(v is not None for v in self.t2i[uid].values()))
            or (uid in self.no_figure and "no quizzes" in self.no_figure[uid].lower())
        )

    def unread_files(self) -> list[str]:
        """Result files skipped whole (a required column missing, unreadable)."""
        return sorted({i.file for i in self.issues if i.row is None and i.file.endswith(".csv")})

    def digest(self) -> str:
        """Content digest of what would be stored (same files -> same digest)."""
        payload = {
            "quizzes": sorted([list(k), list(v)] for k, v in self.quizzes.items()),
            "no_figure": sorted(self.no_figure.items()),
            "open": sorted([k, list(v)] for k, v in self.open_question.items()),
            "judge": sorted([k, sorted(v[0].items())] for k, v in self.judge.items()),
            "t2i": sorted([k, sorted(v.items())] for k, v in self.t2i.items()),
            "images": sorted((k, hashlib.sha256(v).hexdigest()) for k, v in self.images.items()),
        }
        return hashlib.sha256(json.dumps(payload, default=str).encode("utf-8")).hexdigest()


# ---- finding the files -------------------------------------------------------------------------


def dataset_folder(results_dir: Path, dataset: str) -> Path:
    """``results_dir/<dataset>`` (or ``results_dir/results/<dataset>``); OfficialImportError if absent."""
    if dataset not in OFFICIAL_DATASETS:
        raise OfficialImportError(f"unknown dataset {dataset!r}; known: {', '.join(OFFICIAL_DATASETS)}")
    for candidate in (results_dir / dataset, results_dir / "results" / dataset):
        if candidate.is_dir():
            return candidate
    raise OfficialImportError(
        f"{results_dir}: no folder {dataset}/ (expected RESULTS_DIR/{dataset}/quiz/<model>_detailed_evaluation.csv ...)"
    )


def result_files(folder: Path, dataset: str) -> dict[str, dict[str, Path]]:
    """model -> {kind: file} for the kinds quiz, vqa, judge, t2i found in ``folder``."""
    patterns = {
        "quiz": ("quiz", "_detailed_evaluation.csv"),
        "vqa": ("vqa", "_eval_cot.csv"),
        "judge": ("llm_as_judge", "_quality_scores.csv"),
    }
    if dataset == "seephys":
        patterns["t2i"] = ("t2i", "_t2i_metrics.csv")
    found: dict[str, dict[str, Path]] = {}
    for kind, (sub, suffix) in patterns.items():
        for path in sorted((folder / sub).glob(f"*{suffix}")):
            found.setdefault(path.name[: -len(suffix)], {})[kind] = path
    if not found:
        raise OfficialImportError(f"{folder}: no result files (quiz/, vqa/, llm_as_judge/ or t2i/ CSVs)")
    return found


def image_folder(images_dir: Path, dataset: str) -> Path:
    for candidate in (images_dir / dataset, images_dir / "images" / dataset):
        if candidate.is_dir():
            return candidate
    raise OfficialImportError(f"{images_dir}: no folder {dataset}/ (expected IMAGES_DIR/{dataset}/<model>/<id>.png)")


# ---- reading rows ------------------------------------------------------------------------------


def _rows(path: Path, required: Sequence[str], issues: list[RowIssue]) -> Iterator[tuple[int, dict[str, str]]]:
    """(data row number, row) of a CSV written by pandas (utf-8-sig); a missing required column
    is one issue for the whole file and no rows."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [name for name in required if name not in columns]
            if missing:
                issues.append(RowIssue(str(path), None, missing[0], f"required column missing (has: {', '.join(columns)})"))
                return
            for number, row in enumerate(reader, start=1):
                if None in row:
                    issues.append(RowIssue(str(path), number, None, "more values than columns"))
                    continue
                yield number, {key: (value or "").strip() for key, value in row.items()}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        issues.append(RowIssue(str(path), None, None, f"cannot be read: {exc}"))


def _integer(text: str) -> int | None:
    """'3', '3.0' -> 3; anything else (blank included) -> None."""
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number == int(number) else None


def _verdict(text: str) -> bool | None:
    """is_correct as the official summary reads it (blank -> wrong); None for anything else."""
    lowered = text.lower()
    if lowered in ("", "0", "0.0", "false"):
        return False
    if lowered in ("1", "1.0", "true"):
        return True
    return None


class _Reader:
    """Reads one model's files into a :class:`ModelResults`, checking each row against the stored
    problems (uid 'dataset:id' -> number of quizzes)."""

    def __init__(self, dataset: str, model: str, quiz_counts: dict[str, int]) -> None:
        self.results = ModelResults(dataset=dataset, model=model)
        self.quiz_counts = quiz_counts

    def _issue(self, path: Path, row: int | None, column: str | None, message: str) -> None:
        self.results.issues.append(RowIssue(str(path), row, column, message))

    def _uid(self, path: Path, number: int, row: dict[str, str]) -> str | None:
        raw = row["id"]
        if not raw:
            self._issue(path, number, "id", "empty")
            return None
        uid = f"{self.results.dataset}:{_integer(raw) if _integer(raw) is not None else raw}"
        if uid not in self.quiz_counts:
            self._issue(path, number, "id", f"no stored problem {uid} (run 'scigen import' on the benchmark file first)")
            return None
        return uid

    def read_quiz(self, path: Path) -> None:
        self.results.files.append(str(path))
        for number, row in _rows(path, ("id", "quiz_idx", "is_correct"), self.results.issues):
            uid = self._uid(path, number, row)
            if uid is None:
                continue
            error = row.get("error_msg", "")
            index = _integer(row["quiz_idx"])
            if index is None and not row["quiz_idx"] and error:
                self.results.no_figure.setdefault(uid, error)  # ve_infer.py's "Image not found" row
                continue
            if index is None or index < OPEN_QUESTION_ROW:
                self._issue(path, number, "quiz_idx", f"{row['quiz_idx']!r} is not a quiz index, -1 or -2")
                continue
            correct = _verdict(row["is_correct"])
            if correct is None:
                self._issue(path, number, "is_correct", f"{row['is_correct']!r} is not 0 or 1")
                continue
            if index == MISSING_ROW:
                self.results.no_figure[uid] = error or "no image"
            elif index == OPEN_QUESTION_ROW:
                self._open_question(uid, correct, error)
            elif index >= self.quiz_counts[uid]:
                self._issue(path, number, "quiz_idx", f"{index} is outside the {self.quiz_counts[uid]} stored quizzes of {uid}")
            elif (uid, index) in self.results.quizzes:
                self._issue(path, number, "quiz_idx", f"quiz {index} of {uid} answered twice; the first row is kept")
            else:
                self.results.quizzes[(uid, index)] = (correct, row.get("pred", ""), row.get("gt", ""), error)

    def _open_question(self, uid: str, correct: bool, error: str) -> None:
        # The summary drops rows with an error_msg; a later error-free row (a resumed run) wins.
        if not error or uid not in self.results.open_question or self.results.open_question[uid][0] is None:
            self.results.open_question[uid] = (None, error) if error else (correct, "")

    def read_vqa(self, path: Path) -> None:
        self.results.files.append(str(path))
        for number, row in _rows(path, ("id", "is_correct"), self.results.issues):
            uid = self._uid(path, number, row)
            if uid is None:
                continue
            correct = _verdict(row["is_correct"])
            if correct is None:
                self._issue(path, number, "is_correct", f"{row['is_correct']!r} is not 0 or 1")
                continue
            self._open_question(uid, correct, row.get("error_msg", ""))

    def read_judge(self, path: Path) -> None:
        self.results.files.append(str(path))
        for number, row in _rows(path, ("id", *JUDGE_COLUMNS), self.results.issues):
            uid = self._uid(path, number, row)
            if uid is None:
                continue
            scores: dict[str, int | None] = {}
            for column, dimension in JUDGE_COLUMNS.items():
                value = _integer(row[column]) if row[column] else None
                if row[column] and (value is None or not 0 <= value <= 2):
                    self._issue(path, number, column, f"{row[column]!r} is not a score 0, 1 or 2")
                    break
                scores[dimension] = value
            else:
                if uid in self.results.judge:
                    self._issue(path, number, "id", f"{uid} scored again (row {self.results.judge[uid][1]}); this later row is kept")
                self.results.judge[uid] = (scores, number)

    def read_t2i(self, path: Path) -> None:
        self.results.files.append(str(path))
        for number, row in _rows(path, ("id", *T2I_COLUMNS), self.results.issues):
            uid = self._uid(path, number, row)
            if uid is None:
                continue
            values: dict[str, float | None] = {}
            for column, metric in T2I_COLUMNS.items():
                try:
                    value = float(row[column]) if row[column] else None
                except ValueError:
                    value = math.nan
                if value is not None and not math.isfinite(value):
                    self._issue(path, number, column, f"{row[column]!r} is not a finite number")
                    break
                values[metric] = value
            else:
                self.results.t2i[uid] = values

    def read_images(self, folder: Path) -> None:
        """The first readable image per problem, in the official lookup order."""
        model_folder = folder / self.results.model
        if not model_folder.is_dir():
            self._issue(model_folder, None, None, "no image folder for this model")
            return
        stems: dict[str, list[Path]] = {}
        for base in (model_folder, model_folder / "images"):
            for suffix in IMAGE_SUFFIXES:
                for path in sorted(base.glob(f"*{suffix}")):
                    stems.setdefault(path.stem, []).append(path)
        for stem, paths in sorted(stems.items()):
            uid = f"{self.results.dataset}:{_integer(stem) if _integer(stem) is not None else stem}"
            if uid not in self.quiz_counts:
                self._issue(paths[0], None, None, f"no stored problem {uid}; image left out")
                continue
            for path in paths:
                try:
                    self.results.images[uid] = to_png(path.read_bytes())
                    break
                except (OSError, ImageDecodeError) as exc:
                    self._issue(path, None, None, f"not a readable image ({exc})")


def read_model(
    dataset: str, model: str, files: dict[str, Path], quiz_counts: dict[str, int], images: Path | None
) -> ModelResults:
    """Everything of one model, checked (see the module docstring for the rules)."""
    reader = _Reader(dataset, model, quiz_counts)
    if "quiz" in files:
        reader.read_quiz(files["quiz"])
    if "vqa" in files and dataset == "scigen":  # the official summary merges the open question on scigen only
        reader.read_vqa(files["vqa"])
    if "judge" in files:
        reader.read_judge(files["judge"])
    if "t2i" in files:
        reader.read_t2i(files["t2i"])
    if images is not None:
        reader.read_images(images)
    return reader.results


# ---- storing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelImport:
    """What importing one model did."""

    model: str
    generation_run: str
    evaluation_run: str
    state: str
    """new | replaced | unchanged | kept (stored before and left so: a file could not be read)."""
    figures: int
    issues: list[RowIssue]


def run_names(dataset: str, model: str) -> tuple[str, str]:
    """(generation run name, evaluation run name) of one model's import."""
    generation = f"{model} (official {dataset})"
    return generation, f"{generation} · official scoring"


def _figure(results: ModelResults, uid: str) -> FigureResult:
    if uid in results.images:
        return FigureResult(
            problem_uid=uid, status="ok", image=results.images[uid],
            attempts=[AttemptRecord(index=0, purpose="initial", status="ok")],
            notes=[f"imported from the official SciGenBench results ({results.dataset}, {results.model})"],
        )
    if results.has_figure(uid):  # scored officially, but its file was not given (or unreadable)
        return FigureResult(
            problem_uid=uid, status="failed", error_class=IMAGE_NOT_IMPORTED,
            error_message="the official code scored an image for this problem; no readable file was imported (--images)",
        )
    reason = results.no_figure.get(uid, "no image")
    return FigureResult(problem_uid=uid, status="failed", error_class=MISSING_IMAGE, error_message=reason)


def chosen_key(pred: str, gt: str, correct: bool) -> str | None:
    """The option the official answerer chose, where the files tell: the correct key when graded
    right, a reply that is a lone option letter otherwise; None when the reply is free text."""
    if correct and gt.strip():
        return gt.strip()
    letter = pred.strip().strip("().*").upper()
    return letter if len(letter) == 1 and letter.isalpha() and letter != gt.strip().upper() else None


def _evaluation_records(
    results: ModelResults, uids: Iterable[str]
) -> tuple[list[EvaluationItemRow], list[QuizAnswerRow], list[JudgeScoreRow], list[MetricValueRow]]:
    items, answers, scores, values = [], [], [], []
    for uid in uids:
        ok = results.has_figure(uid)
        items.append(EvaluationItemRow(
            problem_uid=uid, status="ok" if ok else "no_image", figure_status="ok" if ok else "failed",
            error_class=None if ok else MISSING_IMAGE,
            notes=[] if ok else [f"{uid}: {results.no_figure.get(uid, 'no image')}"],
        ))
    for (uid, index), (correct, pred, gt, error) in sorted(results.quizzes.items()):
        answers.append(QuizAnswerRow(
            problem_uid=uid, quiz_index=index, answerer=OFFICIAL_ANSWERER_MODEL, raw_reply=pred or None,
            parsed_key=chosen_key(pred, gt, correct), correct=correct, error_class=QUIZ_ERROR if error else None,
        ))
    for uid, (dimensions, number) in sorted(results.judge.items()):
        complete = all(v is not None for v in dimensions.values())
        for dimension, score in dimensions.items():
            scores.append(JudgeScoreRow(
                problem_uid=uid, judge=OFFICIAL_ANSWERER_MODEL, dimension=dimension,
                score=score if complete else None,
                rationale=None if complete else f"row {number} has blank scores; the official means leave it out",
                error_class=None if complete else INCOMPLETE_ROW,
            ))
    for uid, (correct, error) in sorted(results.open_question.items()):
        values.append(MetricValueRow(
            problem_uid=uid, metric=OPEN_QUESTION_METRIC, value=None if correct is None else float(correct),
            status="ok" if correct is not None else "failed", detail=error or None,
        ))
    for uid, metrics in sorted(results.t2i.items()):
        complete = all(v is not None for v in metrics.values())
        for metric, value in metrics.items():
            values.append(MetricValueRow(
                problem_uid=uid, metric=metric, value=value if complete else None,
                status="ok" if complete else "unavailable",
                detail=None if complete else "a blank psnr/ssim/clip_score in the row; the official means leave it out",
            ))
    return items, answers, scores, values


def store_model(store: Store, workspace: Workspace, results: ModelResults, *, source_dir: Path) -> ModelImport:
    """Store one model's results as a generation run and an evaluation run in the official
    protocol; unchanged content is left alone, changed content replaces those two runs only."""
    generation_name, evaluation_name = run_names(results.dataset, results.model)
    key = DIGEST_KEY.format(dataset=results.dataset, model=results.model)
    digest = results.digest()
    existing = store.find_run("generation", generation_name)
    evaluation = store.find_run("evaluation", evaluation_name)
    uids = results.uids()
    if existing is not None and evaluation is not None and store.get_meta(key) == digest:
        return ModelImport(results.model, generation_name, evaluation_name, "unchanged", len(uids), results.issues)
    if existing is not None and results.unread_files():
        # A file skipped whole would drop what an earlier import stored from it: keep that import.
        return ModelImport(results.model, generation_name, evaluation_name, "kept", len(uids), results.issues)
    for run in (evaluation, existing):
        if run is not None:
            store.delete_run(run.run_id)
    generator_kind = "code" if "coder" in results.model.lower() else "pixel"
    spec = GeneratorSpec.create(OFFICIAL_GENERATOR, path=str(source_dir), dataset=results.dataset, model=results.model)
    run_id = create_run(
        store, name=generation_name, spec=spec, generator_kind=generator_kind, model=results.model,
        selection={"source": results.dataset}, notes="figures scored by the official SciGenBench code",
    )
    save_results(store, workspace, run_id, generation_name, [_figure(results, uid) for uid in uids])
    generation = store.get_run(run_id)
    evaluation_run = ensure_evaluation_run(
        store, name=evaluation_name, generation=generation,
        spec=EvaluatorSpec.create(OFFICIAL_GENERATOR, dataset=results.dataset, files=sorted(results.files)),
        model=OFFICIAL_ANSWERER_MODEL, label="official scoring",
    )
    store.save_evaluation(evaluation_run.run_id, *_evaluation_records(results, uids))
    rows = evaluation_rows(store, evaluation_run.run_id)
    # The official scoring saw an image wherever it scored one, imported file or not.
    scored = ["ok" if results.has_figure(uid) else "failed" for uid in rows.figures["problem_uid"]]
    rows = dataclasses.replace(rows, figures=rows.figures.assign(status=scored))
    aggregates = figure_aggregates(rows.with_values(scaled_values(rows.metric_values, OPEN_QUESTION_METRIC, 100.0)))
    store.replace_aggregates(evaluation_run.run_id, aggregates)
    store.set_run_protocol(evaluation_run.run_id, official_protocol(results.dataset))
    store.set_meta(key, digest)
    state = "replaced" if existing is not None else "new"
    return ModelImport(results.model, generation_name, evaluation_name, state, len(uids), results.issues)


def import_official(
    store: Store, workspace: Workspace, results_dir: Path, *, dataset: str = "scigen", images_dir: Path | None = None,
    models: Sequence[str] = (),
) -> list[ModelImport]:
    """Import every model (or ``models``) found under ``results_dir`` for ``dataset``. Raises
    OfficialImportError when the folder holds nothing usable or the problems are not stored."""
    folder = dataset_folder(results_dir, dataset)
    found = result_files(folder, dataset)
    unknown = sorted(set(models) - set(found))
    if unknown:
        raise OfficialImportError(f"{folder}: no result files for model(s) {', '.join(unknown)}; found: {', '.join(found)}")
    images = image_folder(images_dir, dataset) if images_dir is not None else None
    problems = store.list_problems(source=dataset)
    if problems.empty:
        raise OfficialImportError(f"the store holds no {dataset} problems: run 'scigen import' on the benchmark file first")
    quiz_counts = dict(zip(problems["uid"], problems["n_quizzes"].astype(int), strict=True))
    done = []
    for model in models or sorted(found):
        results = read_model(dataset, model, found[model], quiz_counts, images)
        done.append(store_model(store, workspace, results, source_dir=folder.resolve()))
    return done

