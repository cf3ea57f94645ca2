"""The one place pages get data: cached calls into ``core.store`` and the reshaping for display.

Two layers:

* pure functions (``leaderboard_view``, ``problem_rows``, ``problem_detail_from`` ...) that turn
  store frames and records into what a page shows; they never touch Streamlit and are unit-tested;
* thin cached accessors (``leaderboard``, ``problem_page``, ``problem_detail`` ...) that pages call.
  Each one is keyed by the workspace home and ``Store.data_version()``, so a write by any process
  (a CLI job, the seeder) changes the key and the next rerun reads fresh data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from core.generation.backends import backend_label, run_backend
from core.metrics import METRICS, MetricSpec
from core.problems.markup import to_markdown
from core.problems.models import Problem
from core.problems.selection import ProblemSelection
from core.problems.taxonomy import is_image_type, subject_of
from core.workspace import PROJECT_ROOT, Workspace
from dashboard.data.access import cache_key, open_store

REPORTED_LABEL = "reported"
MEASURED_LABEL = "measured"
PROBLEMS_PAGE_SIZE = 25
# Columns of Store.leaderboard() the display needs; an empty store may return none of them.
LEADERBOARD_RUN_COLUMNS = ("run_id", "name", "kind", "generator_kind", "access", "provenance")
QUESTION_PREVIEW_CHARS = 160
BACKEND_COLUMN = "Backend"


# --------------------------------------------------------------------------- leaderboard (pure)


def metric_header(spec: MetricSpec) -> str:
    """Column header marking the direction, e.g. ``"R_inv % ↑"``, ``"FID ↓"`` or ``"C&F ↑"``.

    The short label keeps judge columns narrow; short units (%, dB, USD) go in the header, long
    ones ("points") are left to the tooltip.
    """
    unit = f" {spec.unit}" if spec.unit and len(spec.unit) <= 3 else ""
    return f"{spec.short}{unit} {'↑' if spec.higher_is_better else '↓'}"


def metric_help(spec: MetricSpec) -> str:
    direction = "higher is better" if spec.higher_is_better else "lower is better"
    unit = f" ({spec.unit})" if spec.unit else ""
    return f"{spec.description} {direction.capitalize()}{unit}."


@dataclass(frozen=True)
class LeaderboardView:
    """The leaderboard as shown: one row per run, display headers, best first."""

    table: pd.DataFrame
    """Columns: Model, Results (reported | measured), Kind, Access, then one column per metric
    (header from ``metric_header``) and, where intervals are stored, ``<header> CI`` text columns."""
    metric_headers: dict[str, str]
    """Metric name -> its column header in ``table``, in declaration order."""
    provenance: list[str]
    """Distinct provenance strings of the reported rows shown."""
    kinds: list[str]
    """Generator kinds present before filtering (filter options), e.g. ["code", "pixel"]."""
    sort_metric: str | None
    run_ids: list[str] = field(default_factory=list)
    """The run_id of each row of ``table``, in row order (not shown; for joins and links)."""

    @property
    def metric_labels(self) -> dict[str, str]:
        """Metric name -> its short label (``"R_inv"``, ``"FID"``), for pickers and URLs."""
        return {name: METRICS[name].label for name in self.metric_headers}

    @property
    def specs(self) -> dict[str, MetricSpec]:
        return {name: METRICS[name] for name in self.metric_headers}


def sort_by_metric(frame: pd.DataFrame, column: str, spec: MetricSpec) -> pd.DataFrame:
    """Best first according to the metric's declared direction; missing values last."""
    return frame.sort_values(column, ascending=not spec.higher_is_better, na_position="last", kind="stable")


def leaderboard_view(
    runs: pd.DataFrame, *, generator_kinds: Sequence[str] = (), sort_metric: str | None = "rinv"
) -> LeaderboardView:
    """Reshape ``Store.leaderboard()`` for display; ``generator_kinds`` empty means all kinds."""
    runs = runs.reindex(columns=list(dict.fromkeys([*LEADERBOARD_RUN_COLUMNS, *runs.columns])))
    kinds = sorted(set(runs["generator_kind"].dropna()))
    if generator_kinds:
        runs = runs[runs["generator_kind"].isin(list(generator_kinds))]
    present = [name for name in METRICS if name in runs.columns and runs[name].notna().any()]
    headers = {name: metric_header(METRICS[name]) for name in present}

    table = pd.DataFrame(
        {
            "Model": runs["name"].astype(str),
            "Results": [REPORTED_LABEL if k == "reported" else MEASURED_LABEL for k in runs["kind"]],
            "Kind": runs["generator_kind"].fillna("—"),
            "Access": runs["access"].fillna("—"),
        },
        index=runs.index,
    )
    backends = run_backend_labels(runs)
    if any(backends):  # only code runs draw with a backend; a board without them has no such column
        table.insert(list(table.columns).index("Kind") + 1, BACKEND_COLUMN, [b or "—" for b in backends])
    for name, header in headers.items():
        table[header] = runs[name].astype(float)
        low, high = f"{name}_ci_low", f"{name}_ci_high"
        if low in runs.columns and high in runs.columns and runs[low].notna().any():
            table[f"{header} CI"] = [
                _interval_text(lo, hi) for lo, hi in zip(runs[low], runs[high], strict=True)
            ]

    chosen = sort_metric if sort_metric in headers else None
    if chosen:
        table = sort_by_metric(table, headers[chosen], METRICS[chosen])
    provenance = sorted(set(runs.loc[runs["kind"] == "reported", "provenance"].dropna()))
    run_ids = [str(r) for r in runs["run_id"].reindex(table.index)]
    return LeaderboardView(table.reset_index(drop=True), headers, provenance, kinds, chosen, run_ids)


def run_backend_labels(runs: pd.DataFrame) -> list[str]:
    """Per row of a runs frame (``spec_name``, ``spec_json`` or ``spec_params``): the backend its
    spec draws with ("TikZ", "Matplotlib"), "" for runs that draw no code."""
    if "spec_name" not in runs.columns:
        return [""] * len(runs)
    if "spec_params" in runs.columns:
        params = list(runs["spec_params"])
    elif "spec_json" in runs.columns:
        params = [json.loads(text) if isinstance(text, str) and text else {} for text in runs["spec_json"]]
    else:
        params = [{}] * len(runs)
    return [
        backend_label(run_backend(name if isinstance(name, str) else None, spec))
        for name, spec in zip(runs["spec_name"], params, strict=True)
    ]


def _interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f"{low:.2f}–{high:.2f}"


def downstream_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``Store.downstream_results()`` as training source × benchmark accuracy, best average first."""
    if frame.empty:
        return pd.DataFrame(columns=["Training images"])
    wide = frame.pivot_table(
        index="source", columns="benchmark", values="accuracy", aggfunc="first", sort=False
    )
    order = [c for c in wide.columns if c.lower() not in ("average", "avg")]
    order += [c for c in wide.columns if c not in order]
    wide = wide[order]
    if order:
        wide = wide.sort_values(order[-1], ascending=False)
    return wide.reset_index().rename(columns={"source": "Training images"}).rename_axis(columns=None)


def table_csv(frame: pd.DataFrame) -> bytes:
    """What the download buttons hand out: the table as shown, UTF-8 CSV."""
    return frame.to_csv(index=False).encode("utf-8")


# --------------------------------------------------------------------------- problems (pure)


@dataclass(frozen=True)
class ProblemPage:
    rows: pd.DataFrame
    """Columns: UID, Source, Subject, Image type, Question, Quizzes, Elements, Reference."""
    total: int
    """Problems matching the filters (all pages)."""
    page: int
    num_pages: int


def page_count(total: int, page_size: int) -> int:
    """Number of pages; at least 1 so an empty result still has a page to show."""
    return max(1, math.ceil(total / page_size))


def question_preview(text: str, limit: int = QUESTION_PREVIEW_CHARS) -> str:
    """One line of the readable question for a table cell."""
    flat = " ".join(to_markdown(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def image_type_label(image_type: str | None, subject: str) -> str:
    if not image_type or (isinstance(image_type, float) and math.isnan(image_type)):
        return f"{subject} (untyped)"
    return image_type


def problem_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``Store.list_problems()`` reshaped for the Explorer table."""
    columns = ["UID", "Source", "Subject", "Image type", "Question", "Quizzes", "Elements", "Reference"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    reference = [
        "image" if img else ("code" if code else "")
        for img, code in zip(frame["has_reference_image"], frame["has_reference_code"], strict=True)
    ]
    return pd.DataFrame(
        {
            "UID": frame["uid"],
            "Source": frame["source"],
            "Subject": frame["subject"],
            "Image type": [
                image_type_label(t, s) for t, s in zip(frame["image_type"], frame["subject"], strict=True)
            ],
            "Question": [question_preview(q) for q in frame["question"]],
            "Quizzes": frame["n_quizzes"].astype(int),
            "Elements": frame["n_elements"].astype(int),
            "Reference": reference,
        }
    ).reset_index(drop=True)


def image_types_for(subject: str | None, present: Sequence[str]) -> list[str]:
    """Image types offered by the filter: those present, narrowed to the chosen subject."""
    if not subject:
        return list(present)
    return [t for t in present if is_image_type(t) and subject_of(t).value == subject]


@dataclass(frozen=True)
class OptionView:
    key: str
    text_md: str
    correct: bool


@dataclass(frozen=True)
class QuizView:
    question_md: str
    options: list[OptionView]
    evidence: str


@dataclass(frozen=True)
class ProblemDetail:
    """One problem, ready to draw: markup rendered, files resolved."""

    uid: str
    source: str
    id: str
    subject: str
    image_type: str
    question_md: str
    answer_md: str
    multimodal_question_md: str | None
    elements_md: list[str]
    quizzes: list[QuizView]
    reference_image: str | None
    """An existing file to show, or None."""
    reference_image_missing: str | None
    """The declared reference path when it cannot be found (shown as a note, not an error)."""
    reference_code: str | None
    gold_figure: str | None
    """The gold figure rendered from ``reference_code`` into the workspace, when present."""


def resolve_reference_image(path: str | None, workspace: Workspace) -> Path | None:
    """An absolute path as is; a relative one against the project root, then the workspace home."""
    if not path:
        return None
    candidate = Path(path).expanduser()
    bases = [Path()] if candidate.is_absolute() else [PROJECT_ROOT, workspace.home, Path.cwd()]
    for base in bases:
        full = base / candidate
        if full.is_file():
            return full
    return None


def problem_detail_from(problem: Problem, workspace: Workspace) -> ProblemDetail:
    image = resolve_reference_image(problem.reference_image, workspace)
    gold = workspace.gold_figure_path(problem.uid)
    quizzes = [
        QuizView(
            question_md=to_markdown(quiz.question),
            options=[
                OptionView(key, to_markdown(text), key == quiz.correct_option)
                for key, text in quiz.options.items()
            ],
            evidence=quiz.evidence_snippet,
        )
        for quiz in problem.quizzes
    ]
    return ProblemDetail(
        uid=problem.uid,
        source=problem.source,
        id=problem.id,
        subject=problem.subject.value,
        image_type=image_type_label(problem.image_type, problem.subject.value),
        question_md=to_markdown(problem.question),
        answer_md=to_markdown(problem.answer),
        multimodal_question_md=to_markdown(problem.multimodal_question)
        if problem.multimodal_question
        else None,
        elements_md=[to_markdown(e) for e in problem.elements],
        quizzes=quizzes,
        reference_image=str(image) if image else None,
        reference_image_missing=problem.reference_image if problem.reference_image and not image else None,
        reference_code=problem.reference_code,
        gold_figure=str(gold) if gold.is_file() else None,
    )


# --------------------------------------------------------------------------- cached accessors


def leaderboard(generator_kinds: Sequence[str] = (), sort_metric: str | None = "rinv") -> LeaderboardView:
    return _leaderboard(*cache_key(), tuple(generator_kinds), sort_metric)


@st.cache_data(show_spinner=False, max_entries=64)
def _leaderboard(
    home: str, version: str, generator_kinds: tuple[str, ...], sort_metric: str | None
) -> LeaderboardView:
    return leaderboard_view(
        open_store(home).leaderboard(), generator_kinds=generator_kinds, sort_metric=sort_metric
    )


def downstream() -> pd.DataFrame:
    return _downstream(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _downstream(home: str, version: str) -> pd.DataFrame:
    return downstream_table(open_store(home).downstream_results())


def problem_facets() -> dict[str, list[str]]:
    """{"subject": [...], "image_type": [...], "source": [...]} present in the store."""
    return _problem_facets(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _problem_facets(home: str, version: str) -> dict[str, list[str]]:
    return open_store(home).problem_facets()


def problem_page_count(
    selection: ProblemSelection = ProblemSelection(), *, page_size: int = PROBLEMS_PAGE_SIZE
) -> int:
    """How many pages the filtered list has (at least 1)."""
    return problem_page(selection, page_size=page_size).num_pages


def problem_page(
    selection: ProblemSelection = ProblemSelection(), *, page: int = 1, page_size: int = PROBLEMS_PAGE_SIZE
) -> ProblemPage:
    """One page of the problems the selection's filters (subject, image type, source, search)
    keep; ``page`` is 1-based and clamped to what exists. Paging takes the place of ids and limit."""
    return _problem_page(*cache_key(), selection, page, page_size)


@st.cache_data(show_spinner=False, max_entries=256)
def _problem_page(home: str, version: str, selection: ProblemSelection, page: int, page_size: int) -> ProblemPage:
    filters = selection.filters
    db = open_store(home)
    total = db.count_problems(**filters)
    pages = page_count(total, page_size)
    page = min(max(1, page), pages)
    frame = db.list_problems(**filters, limit=page_size, offset=(page - 1) * page_size)
    return ProblemPage(problem_rows(frame), total, page, pages)


def problem_detail(uid: str) -> ProblemDetail | None:
    return _problem_detail(*cache_key(), uid)


@st.cache_data(show_spinner=False, max_entries=256)
def _problem_detail(home: str, version: str, uid: str) -> ProblemDetail | None:
    problem = open_store(home).get_problem(uid)
    return problem_detail_from(problem, Workspace.from_env(home)) if problem is not None else None
