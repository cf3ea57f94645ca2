"""Data for the figure pages: the Explorer's gallery and item view, and Compare.

As in ``dashboard.data``: pure functions (``verdict``, ``gallery_rows``, ``quiz_answer_table``,
``comparison_from`` ...) reshape store frames for display and are unit-tested; thin cached
accessors (``gallery_page``, ``figure_item``, ``comparison``, ``compare_item`` ...) are what pages
call, keyed by the workspace home and ``Store.data_version()``.

Words: a *figure* is one problem drawn by one generation run; its *verdict* says whether it
rendered and how its quizzes went, from the latest evaluation run of that generation run that
answered quizzes (the leaderboard's rule). The item view shows every evaluation run's rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from core.metrics import METRICS
from core.problems.selection import ProblemSelection
from core.workspace import Workspace
from dashboard.data import (
    ProblemDetail,
    image_type_label,
    page_count,
    problem_detail_from,
    run_backend_labels,
)
from dashboard.data.access import cache_key, open_store
from dashboard.thumbnails import resolve_figure, thumbnail

GALLERY_PAGE_SIZE = 12
FIGURE_FACT_PREFIX = "ff_"
NO_RUN_HINT = "generate a run: `scigen generate --model reference --run gold` (offline), then `scigen evaluate --run gold --vqa ocr --metrics figure-facts`"

OUTCOME_FILTERS: dict[str, tuple[str | None, str | None]] = {
    "rendered": ("ok", None),
    "render failed": ("failed", None),
    "quizzes passed": (None, "passed"),
    "quizzes failed": (None, "failed"),
    "quizzes not answered": (None, "unanswered"),
}
"""Outcome filter label (what the URL holds, ``?status=quizzes+failed``) -> (generation status,
quiz verdict) passed to ``Store.figure_outcomes``."""
OUTCOMES: list[str] = list(OUTCOME_FILTERS)

PASS_MARK, FAIL_MARK, NONE_MARK = "✓", "✗", "–"


# --------------------------------------------------------------------------- verdicts (pure)


def _count(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def quiz_passed(status: str, n_answered: Any, n_correct: Any) -> bool | None:
    """True: every answered quiz right; False: a quiz wrong (or the figure failed); None: no answers."""
    answered = _count(n_answered)
    if answered == 0:
        return False if status != "ok" else None
    return _count(n_correct) == answered


def verdict(status: str, error_class: Any, n_answered: Any, n_correct: Any) -> str:
    """One line for a tile or a table cell: ``✓ 4/4 quizzes``, ``✗ 2/4 quizzes``,
    ``✗ failed: runtime_error``, ``rendered · quizzes not answered``."""
    if status != "ok":
        reason = error_class if isinstance(error_class, str) and error_class else "unclassified"
        return f"{FAIL_MARK} failed: {reason}"
    answered = _count(n_answered)
    if answered == 0:
        return "rendered · quizzes not answered"
    correct = _count(n_correct)
    mark = PASS_MARK if correct == answered else FAIL_MARK
    return f"{mark} {correct}/{answered} quizzes"


def _float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


# --------------------------------------------------------------------------- gallery (pure)


@dataclass(frozen=True)
class GalleryTile:
    uid: str
    subject: str
    image_type: str
    status: str
    error_class: str | None
    verdict: str
    passed: bool | None
    """quiz_passed(): True / False / None (not evaluated)."""
    image_path: str | None
    """The stored figure path (relative to the workspace home); thumbnails are made from it."""
    thumbnail: str | None = None
    """A cached thumbnail file to show, or None (no image: the tile says why)."""
    judge_mean: float | None = None


@dataclass(frozen=True)
class GalleryPage:
    run: str
    tiles: list[GalleryTile]
    rows: pd.DataFrame
    """The page as a table (download): UID, Subject, Image type, Status, Error class, Verdict,
    Quizzes right, Quizzes answered, Judge mean (0-2)."""
    total: int
    page: int
    num_pages: int

    @property
    def uids(self) -> list[str]:
        return [tile.uid for tile in self.tiles]


GALLERY_COLUMNS = [
    "UID", "Subject", "Image type", "Status", "Error class", "Verdict", "Quizzes right", "Quizzes answered",
    "Judge mean (0-2)",
]


def gallery_tiles(frame: pd.DataFrame) -> list[GalleryTile]:
    """``Store.figure_outcomes()`` rows as gallery tiles (thumbnails not yet attached)."""
    tiles = []
    for row in frame.itertuples(index=False):
        subject = row.subject if isinstance(row.subject, str) else "unknown problem"
        tiles.append(
            GalleryTile(
                uid=row.problem_uid,
                subject=subject,
                image_type=image_type_label(row.image_type, subject),
                status=row.status,
                error_class=row.error_class if isinstance(row.error_class, str) else None,
                verdict=verdict(row.status, row.error_class, row.n_answered, row.n_correct),
                passed=quiz_passed(row.status, row.n_answered, row.n_correct),
                image_path=row.image_path if isinstance(row.image_path, str) else None,
                judge_mean=_float(row.judge_mean),
            )
        )
    return tiles


def gallery_rows(tiles: Sequence[GalleryTile], frame: pd.DataFrame) -> pd.DataFrame:
    if not tiles:
        return pd.DataFrame(columns=GALLERY_COLUMNS)
    return pd.DataFrame(
        {
            "UID": [t.uid for t in tiles],
            "Subject": [t.subject for t in tiles],
            "Image type": [t.image_type for t in tiles],
            "Status": [t.status for t in tiles],
            "Error class": [t.error_class or "" for t in tiles],
            "Verdict": [t.verdict for t in tiles],
            "Quizzes right": frame["n_correct"].astype("Int64").to_list(),
            "Quizzes answered": frame["n_answered"].astype("Int64").to_list(),
            "Judge mean (0-2)": [t.judge_mean for t in tiles],
        }
    )


# --------------------------------------------------------------------------- item view (pure)


@dataclass(frozen=True)
class AttemptView:
    number: int
    purpose: str
    status: str
    error_class: str | None
    error_message: str | None
    traceback: str | None
    plan: str | None
    code: str | None
    raw_reply: str | None
    notes: list[str]
    image: str | None
    """A thumbnail of the attempt's render, when it made one."""
    render_s: float | None

    @property
    def title(self) -> str:
        outcome = "rendered" if self.status == "ok" else f"failed: {self.error_class or 'unclassified'}"
        return f"Attempt {self.number} · {self.purpose} · {outcome}"


@dataclass(frozen=True)
class FigureItem:
    """One figure of a generation run with everything known about it, ready to draw."""

    run: str
    uid: str
    problem: ProblemDetail | None
    status: str
    verdict: str
    image: str | None
    """An existing figure file, or None (``image_note`` says why)."""
    image_note: str | None
    plan: str | None
    code: str | None
    error_class: str | None
    error_message: str | None
    cost_usd: float | None
    latency_s: float | None
    attempts: list[AttemptView]
    quiz_answers: pd.DataFrame
    """Evaluation, Answerer, Q, Question, Chosen, Correct option, Result, Reply, Error."""
    judge_scores: pd.DataFrame
    """Evaluation, Judge, Dimension, Score, Rationale, Error."""
    metrics: pd.DataFrame
    """Evaluation, Metric, Value, Status, Detail (figure facts apart)."""
    figure_facts: pd.DataFrame
    """Fact, Value, Better, Status, Detail: overlaps, texts off canvas, coverage, answer leak."""
    canvas: dict[str, Any] | None
    """The sandbox's facts of a code-made figure (size, axes, every text with its box)."""
    canvas_summary: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> tuple[str | None, str]:
        """(file, caption) of the reference or gold figure to show beside it."""
        if self.problem is not None and self.problem.reference_image:
            return self.problem.reference_image, "Ground-truth figure"
        if self.problem is not None and self.problem.gold_figure:
            return self.problem.gold_figure, "Gold figure (the problem's reference script)"
        return None, "This problem has no reference figure."


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _notes(value: Any) -> list[str]:
    if value is None or isinstance(value, float):
        return []
    return [str(item) for item in list(value)]


def attempt_views(frame: pd.DataFrame, home: str) -> list[AttemptView]:
    views = []
    for row in frame.itertuples(index=False):
        image = thumbnail(home, _text(row.image_path))  # one attempt's figure is a glance, not the figure
        views.append(
            AttemptView(
                number=int(row.attempt),
                purpose=_text(row.purpose) or "attempt",
                status=row.status,
                error_class=_text(row.error_class),
                error_message=_text(row.error_message),
                traceback=_text(row.traceback_tail),
                plan=_text(row.plan),
                code=_text(row.code),
                raw_reply=_text(row.raw_reply),
                notes=_notes(row.parse_notes),
                image=str(image) if image else None,
                render_s=_float(row.render_s),
            )
        )
    return views


def _option_text(problem: ProblemDetail | None, quiz_index: int, key: Any) -> str:
    if not isinstance(key, str) or not key:
        return ""
    if problem is not None and 0 <= quiz_index < len(problem.quizzes):
        for option in problem.quizzes[quiz_index].options:
            if option.key == key:
                return f"{key}. {option.text_md}"
    return key


def _correct_key(problem: ProblemDetail | None, quiz_index: int) -> str | None:
    if problem is None or not 0 <= quiz_index < len(problem.quizzes):
        return None
    return next((o.key for o in problem.quizzes[quiz_index].options if o.correct), None)


QUIZ_ANSWER_COLUMNS = ["Evaluation", "Answerer", "Q", "Question", "Chosen", "Correct option", "Result", "Reply", "Error"]


def quiz_answer_table(answers: pd.DataFrame, problem: ProblemDetail | None) -> pd.DataFrame:
    """``Store.figure_quiz_answers()`` for display: ✓/✗ per quiz, the option chosen against the
    correct one (with their texts), the answerer's raw reply; ``–`` where it abstained."""
    if answers.empty:
        return pd.DataFrame(columns=QUIZ_ANSWER_COLUMNS)
    rows = []
    for row in answers.itertuples(index=False):
        index = int(row.quiz_index)
        question = problem.quizzes[index].question_md if problem and index < len(problem.quizzes) else ""
        abstained = bool(row.abstained) or not isinstance(row.parsed_key, str)
        rows.append(
            {
                "Evaluation": row.evaluation,
                "Answerer": row.answerer,
                "Q": index + 1,
                "Question": question,
                "Chosen": "(no option)" if abstained else _option_text(problem, index, row.parsed_key),
                "Correct option": _option_text(problem, index, _correct_key(problem, index)),
                "Result": PASS_MARK if bool(row.correct) else (NONE_MARK if abstained else FAIL_MARK),
                "Reply": _text(row.raw_reply) or "",
                "Error": _text(row.error_class) or "",
            }
        )
    return pd.DataFrame(rows, columns=QUIZ_ANSWER_COLUMNS)


def metric_label(name: str) -> str:
    spec = METRICS.get(name)
    return spec.label if spec is not None else name


JUDGE_COLUMNS = ["Evaluation", "Judge", "Dimension", "Score", "Rationale", "Error"]


def judge_table(scores: pd.DataFrame) -> pd.DataFrame:
    """``Store.figure_judge_scores()`` for display, dimensions in the rubric's order."""
    if scores.empty:
        return pd.DataFrame(columns=JUDGE_COLUMNS)
    order = {name: position for position, name in enumerate(METRICS)}
    frame = scores.assign(_order=scores["dimension"].map(lambda d: order.get(d, len(order))))
    frame = frame.sort_values(["evaluated_at", "judge", "_order"], ascending=[False, True, True], kind="stable")
    return pd.DataFrame(
        {
            "Evaluation": frame["evaluation"],
            "Judge": frame["judge"],
            "Dimension": frame["dimension"].map(metric_label),
            "Score": frame["score"].astype("Int64"),
            "Rationale": frame["rationale"].fillna(""),
            "Error": frame["error_class"].fillna(""),
        }
    ).reset_index(drop=True)


def detail_text(detail: Any) -> str:
    """A metric's stored detail as one readable line: JSON objects become ``key: a, b; key: c``."""
    text = _text(detail)
    if text is None:
        return ""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    if not isinstance(parsed, dict):
        return text
    parts = []
    for key, value in parsed.items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{key}: {shown or '—'}")
    return "; ".join(parts)


METRIC_COLUMNS = ["Evaluation", "Metric", "Value", "Status", "Detail"]
FACT_COLUMNS = ["Fact", "Value", "Better", "Status", "Detail"]


def metric_tables(values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``Store.figure_metric_values()`` split into (metrics, figure facts) for display. Figure
    facts keep the newest evaluation's row of each fact."""
    if values.empty:
        return pd.DataFrame(columns=METRIC_COLUMNS), pd.DataFrame(columns=FACT_COLUMNS)
    is_fact = values["metric"].str.startswith(FIGURE_FACT_PREFIX)
    others = values[~is_fact]
    metrics = pd.DataFrame(
        {
            "Evaluation": others["evaluation"],
            "Metric": others["metric"].map(metric_label),
            "Value": others["value"].astype(float),
            "Status": others["status"],
            "Detail": others["detail"].map(detail_text),
        }
    ).reset_index(drop=True)
    facts = values[is_fact].drop_duplicates("metric", keep="first")
    better = {name: ("higher" if spec.higher_is_better else "lower") for name, spec in METRICS.items()}
    fact_table = pd.DataFrame(
        {
            "Fact": facts["metric"].map(metric_label),
            "Value": facts["value"].astype(float),
            "Better": facts["metric"].map(lambda m: better.get(m, "")),
            "Status": facts["status"],
            "Detail": facts["detail"].map(detail_text),
        }
    ).reset_index(drop=True)
    return metrics, fact_table


def canvas_facts(facts_json: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(parsed sandbox facts, one-line summary) of a code-made figure; (None, None) without."""
    text = _text(facts_json)
    if text is None:
        return None, None
    try:
        facts = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(facts, dict):
        return None, None
    parts = []
    if facts.get("width_px") and facts.get("height_px"):
        parts.append(f"{facts['width_px']}×{facts['height_px']} px")
    if facts.get("dpi"):
        parts.append(f"{facts['dpi']:g} dpi")
    if "axes_count" in facts:
        parts.append(f"{facts['axes_count']} axes")
    if isinstance(facts.get("texts"), list):
        parts.append(f"{len(facts['texts'])} texts")
    return facts, " · ".join(parts) or None


def figure_item_from(
    record: Mapping[str, Any],
    *,
    run: str,
    problem: ProblemDetail | None,
    attempts: pd.DataFrame,
    answers: pd.DataFrame,
    scores: pd.DataFrame,
    values: pd.DataFrame,
    home: str,
) -> FigureItem:
    uid = str(record["problem_uid"])
    status = str(record["status"])
    image = resolve_figure(home, _text(record.get("image_path")))
    if image is not None:
        note = None
    elif status != "ok":
        note = "No image: the figure failed to render."
    elif _text(record.get("image_path")):
        note = f"The figure file `{record['image_path']}` is missing from the workspace."
    else:
        note = "No image stored for this figure."
    latest = latest_evaluation(answers)
    n_answered = len(latest)
    n_correct = int(latest["correct"].sum()) if n_answered else 0
    metrics, facts = metric_tables(values)
    canvas, summary = canvas_facts(record.get("facts_json"))
    return FigureItem(
        run=run,
        uid=uid,
        problem=problem,
        status=status,
        verdict=verdict(status, record.get("error_class"), n_answered, n_correct),
        image=str(image) if image else None,
        image_note=note,
        plan=_text(record.get("plan")),
        code=_text(record.get("code")),
        error_class=_text(record.get("error_class")),
        error_message=_text(record.get("error_message")),
        cost_usd=_float(record.get("cost_usd")),
        latency_s=_float(record.get("latency_s")),
        attempts=attempt_views(attempts, home),
        quiz_answers=quiz_answer_table(answers, problem),
        judge_scores=judge_table(scores),
        metrics=metrics,
        figure_facts=facts,
        canvas=canvas,
        canvas_summary=summary,
        notes=_notes(record.get("notes")),
    )


def latest_evaluation(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the newest evaluation run in a per-figure frame (sorted newest first by the store)."""
    if frame.empty:
        return frame
    return frame[frame["evaluation_run_id"] == frame["evaluation_run_id"].iloc[0]]


# --------------------------------------------------------------------------- compare (pure)


@dataclass(frozen=True)
class Comparison:
    runs: list[str]
    table: pd.DataFrame
    """One row per problem drawn by every chosen run: UID, Subject, Image type, one verdict column
    per run, Disagree."""
    uids: list[str]
    """The problems to step through (all, or only the disagreements)."""
    n_common: int
    n_disagree: int


def disagree(statuses: Sequence[str], passed: Sequence[bool | None]) -> bool:
    """Runs disagree on a problem when one rendered it and another failed, or when all of them had
    its quizzes answered and some passed every quiz while others did not."""
    if len(set(statuses)) > 1:
        return True
    return all(p is not None for p in passed) and len(set(passed)) > 1


def comparison_from(outcomes: pd.DataFrame, run_names: Mapping[str, str], *, only_disagreements: bool) -> Comparison:
    """``Store.figure_outcomes(run_ids)`` (several runs) as a side-by-side table of verdicts;
    ``run_names`` maps run_id -> name in the order to show."""
    names = list(run_names.values())
    columns = ["UID", "Subject", "Image type", *names, "Disagree"]
    # One pass over the rows (a groupby builds a frame per problem: ~0.8 s for 1,387 problems).
    figures_by_uid: dict[str, dict[str, Any]] = {}
    for figure in outcomes.itertuples(index=False):
        figures_by_uid.setdefault(figure.problem_uid, {})[figure.run_id] = figure
    rows = []
    for uid, by_run in figures_by_uid.items():
        if set(by_run) != set(run_names):
            continue  # drawn by only some of the runs: nothing to compare
        first = next(iter(by_run.values()))
        subject = first.subject if isinstance(first.subject, str) else "unknown problem"
        row: dict[str, Any] = {"UID": uid, "Subject": subject, "Image type": image_type_label(first.image_type, subject)}
        statuses, passed = [], []
        for run_id, name in run_names.items():
            figure = by_run[run_id]
            row[name] = verdict(figure.status, figure.error_class, figure.n_answered, figure.n_correct)
            statuses.append(figure.status)
            passed.append(quiz_passed(figure.status, figure.n_answered, figure.n_correct))
        row["Disagree"] = disagree(statuses, passed)
        rows.append(row)
    table = pd.DataFrame(rows, columns=columns)
    n_disagree = int(table["Disagree"].sum()) if not table.empty else 0
    if only_disagreements and not table.empty:
        table = table[table["Disagree"]].reset_index(drop=True)
    return Comparison(names, table, list(table["UID"]), n_common=len(rows), n_disagree=n_disagree)


@dataclass(frozen=True)
class CompareSide:
    run: str
    status: str
    verdict: str
    image: str | None
    image_note: str | None
    error: str | None
    quiz_source: str | None
    """The evaluation run the quiz results come from (the newest with quiz answers)."""
    judge_source: str | None
    backend: str = ""
    """What the run draws in ("TikZ", "Matplotlib"); "" for runs that draw no code."""


@dataclass(frozen=True)
class CompareItem:
    uid: str
    problem: ProblemDetail | None
    sides: list[CompareSide]
    quizzes: pd.DataFrame
    """Rows: quizzes (Q, Question, Correct option); one column per run: ``✓ B`` / ``✗ C`` / ``–``."""
    judge: pd.DataFrame
    """Rows: judge dimensions; one column per run: mean score over its judges (0-2)."""
    metrics: pd.DataFrame
    """Rows: per-figure metrics; one column per run."""


def _answer_cell(row: Any) -> str:
    if bool(row.correct):
        return f"{PASS_MARK} {row.parsed_key}"
    if isinstance(row.parsed_key, str) and row.parsed_key and not bool(row.abstained):
        return f"{FAIL_MARK} {row.parsed_key}"
    return f"{NONE_MARK} {row.error_class}" if isinstance(row.error_class, str) and row.error_class else NONE_MARK


def compare_item_from(
    uid: str, problem: ProblemDetail | None, per_run: Mapping[str, Mapping[str, Any]], home: str
) -> CompareItem:
    """``per_run``: run name -> {"record": figure record or None, "answers", "scores", "values"}
    (the store's per-figure frames)."""
    sides: list[CompareSide] = []
    quiz_rows: dict[int, dict[str, Any]] = {}
    if problem is not None:
        for index, quiz in enumerate(problem.quizzes):
            quiz_rows[index] = {
                "Q": index + 1, "Question": quiz.question_md,
                "Correct option": _option_text(problem, index, _correct_key(problem, index)),
            }
    judge: dict[str, dict[str, float]] = {}
    metrics: dict[str, dict[str, float]] = {}
    for run, parts in per_run.items():
        record = parts.get("record")
        answers = latest_evaluation(parts["answers"])
        scores = latest_evaluation(parts["scores"])
        if record is None:
            sides.append(CompareSide(run, "missing", "not drawn by this run", None, "Not drawn by this run.", None, None, None))
            continue
        status = str(record["status"])
        image = resolve_figure(home, _text(record.get("image_path")))
        n_correct = int(answers["correct"].sum()) if len(answers) else 0
        sides.append(
            CompareSide(
                run=run,
                status=status,
                verdict=verdict(status, record.get("error_class"), len(answers), n_correct),
                image=str(image) if image else None,
                image_note=None if image else ("No image: the figure failed to render." if status != "ok" else "Image file missing."),
                error=_text(record.get("error_message")),
                quiz_source=str(answers["evaluation"].iloc[0]) if len(answers) else None,
                judge_source=str(scores["evaluation"].iloc[0]) if len(scores) else None,
                backend=str(parts.get("backend") or ""),
            )
        )
        for row in answers.itertuples(index=False):
            index = int(row.quiz_index)
            quiz_rows.setdefault(index, {"Q": index + 1, "Question": "", "Correct option": ""})[run] = _answer_cell(row)
        for dimension, part in scores.groupby("dimension"):
            judge.setdefault(metric_label(str(dimension)), {})[run] = float(part["score"].astype(float).mean())
        values = parts["values"].drop_duplicates("metric", keep="first") if not parts["values"].empty else parts["values"]
        for row in values.itertuples(index=False):
            metrics.setdefault(metric_label(row.metric), {})[run] = _float(row.value)
    runs = list(per_run)
    quizzes = pd.DataFrame(
        [{**{run: NONE_MARK for run in runs}, **quiz_rows[i]} for i in sorted(quiz_rows)],
        columns=["Q", "Question", "Correct option", *runs],
    )
    judge_order = [metric_label(name) for name in METRICS if name.startswith("judge_")]
    judge_frame = pd.DataFrame.from_dict(judge, orient="index").reindex(columns=runs)
    judge_frame = judge_frame.reindex([d for d in judge_order if d in judge] + [d for d in judge if d not in judge_order])
    metric_frame = pd.DataFrame.from_dict(metrics, orient="index").reindex(columns=runs)
    return CompareItem(
        uid=uid,
        problem=problem,
        sides=sides,
        quizzes=quizzes,
        judge=judge_frame.rename_axis("Dimension").reset_index(),
        metrics=metric_frame.sort_index().rename_axis("Metric").reset_index(),
    )


# --------------------------------------------------------------------------- cached accessors


def generation_runs() -> dict[str, str]:
    """Generation runs of the workspace, newest first: name -> run_id."""
    return _generation_runs(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _generation_runs(home: str, version: str) -> dict[str, str]:
    runs = open_store(home).list_runs(kind="generation")
    runs = runs.sort_values(["created_at", "name"], ascending=[False, True], kind="stable")
    return dict(zip(runs["name"].astype(str), runs["run_id"].astype(str), strict=True))


def run_backends() -> dict[str, str]:
    """Generation run name -> what its figures are drawn in ("TikZ", "Matplotlib"); runs that draw
    no code (pixel, imported, text-card) are left out."""
    return _run_backends(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _run_backends(home: str, version: str) -> dict[str, str]:
    runs = open_store(home).list_runs(kind="generation")
    return {
        str(name): backend
        for name, backend in zip(runs["name"], run_backend_labels(runs), strict=True)
        if backend
    }


def drawn_in(runs: Sequence[str]) -> str:
    """What the picked runs draw in, for a caption under a run picker: ``Drawn in: gold-tikz ·
    TikZ; gold · Matplotlib`` ("" when none of them draws code). Not in the picker's labels: the
    URL holds those."""
    backends = run_backends()
    named = [f"{name} · {backends[name]}" for name in runs if name in backends]
    return f"Drawn in: {'; '.join(named)}" if named else ""


def error_classes(run: str | None) -> list[str]:
    """Error classes met by the run's figures (final or in an attempt), most frequent first."""
    run_id = generation_runs().get(run or "")
    return list(_error_classes(*cache_key(), run_id)) if run_id else []


@st.cache_data(show_spinner=False, max_entries=32)
def _error_classes(home: str, version: str, run_id: str) -> dict[str, int]:
    return open_store(home).figure_error_classes(run_id)


def gallery_page_count(
    *,
    run: str,
    problems: ProblemSelection = ProblemSelection(),
    outcome: str | None = None,
    error: str | None = None,
    page_size: int = GALLERY_PAGE_SIZE,
) -> int:
    """How many gallery pages the filtered figures fill (at least 1)."""
    run_id = generation_runs().get(run)
    if run_id is None:
        return 1
    status, quiz = OUTCOME_FILTERS.get(outcome or "", (None, None))
    _, total, _ = _gallery_frame(*cache_key(), run_id, problems, status, quiz, error, 1, page_size)
    return page_count(total, page_size)


def gallery_page(
    *,
    run: str,
    problems: ProblemSelection = ProblemSelection(),
    outcome: str | None = None,
    error: str | None = None,
    page: int = 1,
    page_size: int = GALLERY_PAGE_SIZE,
) -> GalleryPage:
    """One page of the run's figures whose problems pass the selection's filters (subject, image
    type, source, search; paging takes the place of ids and limit) and match ``outcome`` and
    ``error``, with thumbnails; ``page`` is 1-based and clamped. An unknown run gives an empty page."""
    home, version = cache_key()
    run_id = generation_runs().get(run)
    if run_id is None:
        return GalleryPage(run, [], gallery_rows([], pd.DataFrame()), 0, 1, 1)
    status, quiz = OUTCOME_FILTERS.get(outcome or "", (None, None))
    frame, total, page = _gallery_frame(home, version, run_id, problems, status, quiz, error, page, page_size)
    tiles = gallery_tiles(frame)
    # Thumbnails are made outside the cache: a deleted thumbnail is simply made again.
    tiles = [_with_thumbnail(tile, home) for tile in tiles]
    return GalleryPage(run, tiles, gallery_rows(tiles, frame), total, page, page_count(total, page_size))


def _with_thumbnail(tile: GalleryTile, home: str) -> GalleryTile:
    thumb = thumbnail(home, tile.image_path)
    return GalleryTile(**{**tile.__dict__, "thumbnail": str(thumb) if thumb else None})


@st.cache_data(show_spinner=False, max_entries=256)
def _gallery_frame(
    home: str, version: str, run_id: str, problems: ProblemSelection,
    status: str | None, quiz: str | None, error: str | None, page: int, page_size: int,
) -> tuple[pd.DataFrame, int, int]:
    store = open_store(home)
    filters = {**problems.filters, "status": status, "quiz": quiz, "error_class": error}
    total = store.count_figure_outcomes([run_id], **filters)
    page = min(max(1, page), page_count(total, page_size))
    frame = store.figure_outcomes([run_id], **filters, limit=page_size, offset=(page - 1) * page_size)
    return frame, total, page


def figure_item(run: str, uid: str) -> FigureItem | None:
    """Everything about one figure of a run, or None when the run has no figure for ``uid``."""
    run_id = generation_runs().get(run)
    return _figure_item(*cache_key(), run, run_id, uid) if run_id else None


@st.cache_data(show_spinner=False, max_entries=64)
def _figure_item(home: str, version: str, run: str, run_id: str, uid: str) -> FigureItem | None:
    store = open_store(home)
    record = store.figure(run_id, uid)
    if record is None:
        return None
    problem = store.get_problem(uid)
    return figure_item_from(
        record,
        run=run,
        problem=problem_detail_from(problem, Workspace.from_env(home)) if problem else None,
        attempts=store.generation_attempts(run_id, uid),
        answers=store.figure_quiz_answers(run_id, uid),
        scores=store.figure_judge_scores(run_id, uid),
        values=store.figure_metric_values(run_id, uid),
        home=home,
    )


def best_compare_pair(runs: Mapping[str, str], overlaps: Sequence[tuple[str, str, int]]) -> list[str]:
    """Two run names to compare first: the pair sharing the most problems, the newer pair on a
    tie. ``runs``: name -> run_id, newest first; ``overlaps``: (run_a, run_b, shared problems).
    With no pair sharing a problem, the two newest runs (the page then says they share none)."""
    age = {run_id: position for position, run_id in enumerate(runs.values())}
    name_of = {run_id: name for name, run_id in runs.items()}
    pairs = [
        (n, sorted((age[a], age[b]))) for a, b, n in overlaps if n > 0 and a in age and b in age
    ]
    if not pairs:
        return list(runs)[:2]
    _, (newer, older) = min(pairs, key=lambda pair: (-pair[0], pair[1]))
    ordered = list(runs.values())
    return [name_of[ordered[newer]], name_of[ordered[older]]]


def default_compare_runs() -> list[str]:
    """The runs the Compare page opens with (see ``best_compare_pair``)."""
    return _default_compare_runs(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _default_compare_runs(home: str, version: str) -> list[str]:
    return best_compare_pair(_generation_runs(home, version), open_store(home).generation_run_overlaps())


def comparison(runs: Sequence[str], *, only_disagreements: bool = False) -> Comparison:
    """The chosen runs' verdicts side by side over the problems they all drew."""
    known = generation_runs()
    chosen = {known[name]: name for name in runs if name in known}
    return _comparison(*cache_key(), tuple(chosen.items()), only_disagreements)


@st.cache_data(show_spinner=False, max_entries=32)
def _comparison(home: str, version: str, runs: tuple[tuple[str, str], ...], only_disagreements: bool) -> Comparison:
    run_names = dict(runs)
    outcomes = open_store(home).figure_outcomes(list(run_names)) if run_names else pd.DataFrame(
        columns=["problem_uid", "run_id"]
    )
    return comparison_from(outcomes, run_names, only_disagreements=only_disagreements)


def compare_item(runs: Sequence[str], uid: str) -> CompareItem:
    known = generation_runs()
    chosen = tuple((name, known[name]) for name in runs if name in known)
    return _compare_item(*cache_key(), chosen, uid)


@st.cache_data(show_spinner=False, max_entries=64)
def _compare_item(home: str, version: str, runs: tuple[tuple[str, str], ...], uid: str) -> CompareItem:
    store = open_store(home)
    problem = store.get_problem(uid)
    per_run = {
        name: {
            "record": store.figure(run_id, uid),
            "answers": store.figure_quiz_answers(run_id, uid),
            "scores": store.figure_judge_scores(run_id, uid),
            "values": store.figure_metric_values(run_id, uid),
            "backend": _run_backends(home, version).get(name, ""),
        }
        for name, run_id in runs
    }
    detail = problem_detail_from(problem, Workspace.from_env(home)) if problem else None
    return compare_item_from(uid, detail, per_run, home)
