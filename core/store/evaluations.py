"""SQL for evaluation runs: per-item scores, the items a job finished, progress, and the views that
merge evaluation numbers into generation runs.

An evaluation run (kind 'evaluation', ``parent_run_id`` = the generation run it scores) holds, per
figure, the rows its evaluator produced (``quiz_answers``, ``judge_scores``, ``metric_values``)
plus one ``evaluation_items`` row saying the item is done (with its status). They are written
together in one transaction by :func:`write_evaluation`, so an item is either wholly stored or
not at all: a job killed with ``kill -9`` and rerun stores nothing twice. Model calls go to the
same ``model_calls`` ledger as generation runs, progress to the same ``run_progress`` table
(counted from ``evaluation_items`` instead of ``generations``).

Writers take store-level records (below), never evaluation objects: the store does not import
``core.evaluation`` evaluators; ``core.jobs.evaluation`` turns their output into these rows.

Merging (read side): a generation run's per-scope numbers and per-figure rows come from its
evaluation runs with the leaderboard's rule (:func:`core.store.results.merged_aggregates`): per
metric, the most recently created evaluation run that has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

import core.store.analysis as analysis_sql
import core.store.generations as generation_sql
from core.store.analysis import RunItems
from core.store.generations import (
    _CALL_SCHEMA,
    ModelCallRow,
    _insert,
    _naive_utc,
)
from core.store.records import Aggregate, utc_now
from core.store.results import _write_aggregates, merged_aggregates

__all__ = [
    "EVALUATION_ITEM_COLUMNS",
    "ITEM_STATUSES",
    "EvaluationItemRow",
    "JudgeScoreRow",
    "MetricValueRow",
    "QuizAnswerRow",
]

ItemStatus = Literal["ok", "failed", "no_image", "unavailable"]
ITEM_STATUSES: tuple[str, ...] = ("ok", "failed", "no_image", "unavailable")


class EvaluationItemRow(BaseModel):
    """One (evaluation run, figure) item a job finished."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str = Field(min_length=1)
    status: ItemStatus = Field(
        description="ok: scored; failed: the evaluator or its model failed; no_image: the figure "
        "failed to render (scored as failed); unavailable: nothing to compare with (no reference, "
        "no weights)."
    )
    figure_status: Literal["ok", "failed"] = Field(description="The generation outcome evaluated.")
    error_class: str | None = None
    notes: list[str] = Field(default_factory=list)
    cost_usd: float | None = Field(default=None, description="Known cost of the item's model calls.")
    latency_s: float | None = None


class QuizAnswerRow(BaseModel):
    """A stored quiz answer (the fields of core.evaluation.base.QuizAnswer)."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str = Field(min_length=1)
    quiz_index: int = Field(ge=0)
    answerer: str
    shuffle_seed: int | None = None
    presented_keys: list[str] = Field(default_factory=list)
    raw_reply: str | None = None
    parsed_key: str | None = None
    correct: bool
    abstained: bool = False
    error_class: str | None = None
    cost_usd: float | None = None
    latency_s: float | None = None


class JudgeScoreRow(BaseModel):
    """A stored judge score (the fields of core.evaluation.base.JudgeScore)."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str = Field(min_length=1)
    judge: str
    dimension: str
    score: int | None = Field(default=None, ge=0, le=2)
    rationale: str | None = None
    error_class: str | None = None


class MetricValueRow(BaseModel):
    """A stored per-figure metric value (the fields of core.evaluation.base.MetricValue)."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str = Field(min_length=1)
    metric: str = Field(min_length=1)
    value: float | None = None
    status: Literal["ok", "unavailable", "failed"] = "ok"
    detail: str | None = None


_LIST = pa.list_(pa.string())
_ITEM_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("problem_uid", pa.string()), ("status", pa.string()),
        ("figure_status", pa.string()), ("error_class", pa.string()), ("notes", _LIST),
        ("cost_usd", pa.float64()), ("latency_s", pa.float64()), ("created_at", pa.timestamp("us")),
    ]
)
_ANSWER_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("problem_uid", pa.string()), ("quiz_index", pa.int32()),
        ("answerer", pa.string()), ("shuffle_seed", pa.int64()), ("presented_keys", _LIST),
        ("raw_reply", pa.string()), ("parsed_key", pa.string()), ("correct", pa.bool_()),
        ("abstained", pa.bool_()), ("error_class", pa.string()), ("cost_usd", pa.float64()),
        ("latency_s", pa.float64()), ("created_at", pa.timestamp("us")),
    ]
)
_SCORE_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("problem_uid", pa.string()), ("judge", pa.string()), ("dimension", pa.string()),
        ("score", pa.int32()), ("rationale", pa.string()), ("error_class", pa.string()),
        ("created_at", pa.timestamp("us")),
    ]
)
_VALUE_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("problem_uid", pa.string()), ("metric", pa.string()), ("value", pa.float64()),
        ("status", pa.string()), ("detail", pa.string()), ("created_at", pa.timestamp("us")),
    ]
)
_ROW_TABLES: tuple[str, ...] = ("quiz_answers", "judge_scores", "metric_values", "evaluation_items")

EVALUATION_ITEM_COLUMNS: tuple[str, ...] = tuple(_ITEM_SCHEMA.names)
QUIZ_ANSWER_COLUMNS: tuple[str, ...] = tuple(_ANSWER_SCHEMA.names)
JUDGE_SCORE_COLUMNS: tuple[str, ...] = tuple(_SCORE_SCHEMA.names)
METRIC_VALUE_COLUMNS: tuple[str, ...] = tuple(_VALUE_SCHEMA.names)


def _duplicates(keys: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    seen: set[tuple[Any, ...]] = set()
    repeated: set[tuple[Any, ...]] = set()
    for key in keys:
        (repeated if key in seen else seen).add(key)
    return sorted(repeated)


# ---- writing -----------------------------------------------------------------------------------


def write_evaluation(
    cursor: duckdb.DuckDBPyConnection,
    run_id: str,
    items: Sequence[EvaluationItemRow],
    quiz_answers: Sequence[QuizAnswerRow] = (),
    judge_scores: Sequence[JudgeScoreRow] = (),
    metric_values: Sequence[MetricValueRow] = (),
    calls: Sequence[ModelCallRow] = (),
) -> None:
    """Store finished items with their rows, replacing what the run held for those problems, and
    append model calls (a call_id already stored is kept). Raises ValueError, naming the row, for
    rows of a problem that is not among ``items``, keys given twice, or an unknown run."""
    uids = [item.problem_uid for item in items]
    if len(set(uids)) != len(uids):
        raise ValueError(f"evaluation items given twice in one batch: {sorted(_duplicates((u,) for u in uids))}")
    known = set(uids)
    for table, rows in (("quiz_answers", quiz_answers), ("judge_scores", judge_scores),
                        ("metric_values", metric_values)):
        stray = sorted({row.problem_uid for row in rows} - known)
        if stray:
            raise ValueError(f"{table} rows given for problems without an evaluation item: {stray[:5]}")
    for table, keys in (
        ("quiz_answers", [(r.problem_uid, r.quiz_index) for r in quiz_answers]),
        ("judge_scores", [(r.problem_uid, r.judge, r.dimension) for r in judge_scores]),
        ("metric_values", [(r.problem_uid, r.metric) for r in metric_values]),
    ):
        repeated = _duplicates(keys)
        if repeated:
            raise ValueError(f"{table}: key {repeated[0]} given twice in one batch")
    if uids or calls:
        if not cursor.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchall():
            raise ValueError(f"no run {run_id!r}: create the evaluation run before storing its scores")
    if uids:
        for table in _ROW_TABLES:
            cursor.execute(
                f"DELETE FROM {table} WHERE run_id = ? AND problem_uid IN (SELECT unnest(?::VARCHAR[]))",
                [run_id, uids],
            )
    now = utc_now()
    stamp = {"run_id": run_id, "created_at": now}
    _insert(cursor, "evaluation_items", _ITEM_SCHEMA, [{**row.model_dump(), **stamp} for row in items])
    _insert(cursor, "quiz_answers", _ANSWER_SCHEMA, [{**row.model_dump(), **stamp} for row in quiz_answers])
    _insert(cursor, "judge_scores", _SCORE_SCHEMA, [{**row.model_dump(), **stamp} for row in judge_scores])
    _insert(cursor, "metric_values", _VALUE_SCHEMA, [{**row.model_dump(), **stamp} for row in metric_values])
    _insert(
        cursor, "model_calls", _CALL_SCHEMA,
        [{**row.model_dump(), "run_id": run_id, "started_at": _naive_utc(row.started_at)} for row in calls],
        conflict="ON CONFLICT (run_id, call_id) DO NOTHING",
    )


def replace_aggregates(cursor: duckdb.DuckDBPyConnection, run_id: str, aggregates: Iterable[Aggregate]) -> int:
    """Make ``aggregates`` the run's whole set (numbers no longer computed go); returns how many."""
    rows = [(run_id, aggregate) for aggregate in aggregates]
    if not cursor.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchall():
        raise ValueError(f"no run {run_id!r}: store the run before its aggregates")
    cursor.execute("DELETE FROM aggregates WHERE run_id = ?", [run_id])
    return _write_aggregates(cursor, rows)


# ---- progress ----------------------------------------------------------------------------------


def refresh_progress(cursor: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Recount an evaluation run's progress row from its finished items (no-op without a row)."""
    generation_sql.refresh_progress(cursor, run_id, items="evaluation_items")


# ---- reading -----------------------------------------------------------------------------------


def item_statuses(cursor: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """problem_uid -> status of every finished item of the evaluation run."""
    return dict(
        cursor.execute("SELECT problem_uid, status FROM evaluation_items WHERE run_id = ?", [run_id]).fetchall()
    )


def _rows(cursor: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], run_id: str, order: str) -> pd.DataFrame:
    return cursor.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE run_id = ? ORDER BY {order}", [run_id]
    ).df()


def evaluation_items(cursor: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    return _rows(cursor, "evaluation_items", EVALUATION_ITEM_COLUMNS, run_id, "problem_uid")


def quiz_answers(cursor: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    return _rows(cursor, "quiz_answers", QUIZ_ANSWER_COLUMNS, run_id, "problem_uid, quiz_index")


def judge_scores(cursor: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    frame = _rows(cursor, "judge_scores", JUDGE_SCORE_COLUMNS, run_id, "problem_uid, judge, dimension")
    frame["score"] = frame["score"].astype("Int64")
    return frame


def metric_values(cursor: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    return _rows(cursor, "metric_values", METRIC_VALUE_COLUMNS, run_id, "problem_uid, metric")


def item_counts(cursor: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Finished items per evaluation run. Columns: run_id, done, ok, failed."""
    return cursor.execute(
        """SELECT run_id, count(*) AS done, count_if(status = 'ok') AS ok, count_if(status <> 'ok') AS failed
           FROM evaluation_items GROUP BY run_id ORDER BY run_id"""
    ).df()


EVALUATION_RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "name", "parent_run_id", "parent_name", "spec_name", "spec_json", "model", "created_at",
    "items", "ok", "state", "stop_reason",
)


def evaluation_runs(cursor: duckdb.DuckDBPyConnection, parent_run_id: str | None = None) -> pd.DataFrame:
    """Evaluation runs (of one generation run, or all), oldest first, with item counts and the
    state of their latest job. Columns: EVALUATION_RUN_COLUMNS."""
    frame = cursor.execute(
        """SELECT r.run_id, r.name, r.parent_run_id, p.name AS parent_name, r.spec_name, r.spec_json, r.model,
                  r.created_at, coalesce(i.items, 0) AS items, coalesce(i.ok, 0) AS ok, g.state, g.stop_reason
           FROM runs r
           LEFT JOIN runs p ON p.run_id = r.parent_run_id
           LEFT JOIN (SELECT run_id, count(*) AS items, count_if(status = 'ok') AS ok
                      FROM evaluation_items GROUP BY run_id) i ON i.run_id = r.run_id
           LEFT JOIN run_progress g ON g.run_id = r.run_id
           WHERE r.kind = 'evaluation' AND (?::VARCHAR IS NULL OR r.parent_run_id = ?)
           ORDER BY r.created_at, r.name""",
        [parent_run_id, parent_run_id],
    ).df()
    for column in ("items", "ok"):
        frame[column] = frame[column].astype("int64")
    return frame


SCOPED_METRIC_COLUMNS: tuple[str, ...] = (
    "run_id", "name", "generator_kind", "metric", "scope", "scope_value", "value", "ci_low", "ci_high", "n",
    "source_run_id",
)


def scoped_metrics(
    cursor: duckdb.DuckDBPyConnection, metric: str | None = None, scope: str = "subject"
) -> pd.DataFrame:
    """Per-scope aggregates of measured leaderboard rows (generation runs, numbers merged from their
    evaluation runs by the leaderboard's rule), long form. Columns: SCOPED_METRIC_COLUMNS."""
    if scope not in ("overall", "subject", "image_type"):
        raise ValueError(f"unknown scope {scope!r}; expected overall, subject or image_type")
    merged = merged_aggregates(cursor, scope=scope, metric=metric)
    runs = cursor.execute("SELECT run_id, name, generator_kind FROM runs").df()
    frame = merged.merge(runs, on="run_id", how="left")
    frame["n"] = frame["n"].astype("Int64")
    return frame.reindex(columns=list(SCOPED_METRIC_COLUMNS)).reset_index(drop=True)


def merged_run_items(cursor: duckdb.DuckDBPyConnection, run_id: str) -> RunItems | None:
    """A generation run's per-figure rows drawn from its evaluation runs, chosen as the leaderboard
    chooses its numbers: quiz answers of the most recent evaluation run that has quiz answers,
    judge scores of the most recent one with judge scores, each metric's values from the most
    recent one with that metric. Figures are the generation run's, restricted to those the chosen
    evaluation runs evaluated. None when ``run_id`` is not a generation run with such rows."""
    kind = cursor.execute("SELECT kind FROM runs WHERE run_id = ?", [run_id]).fetchall()
    if not kind or kind[0][0] != "generation":
        return None
    children = [
        child for (child,) in cursor.execute(
            """SELECT run_id FROM runs WHERE kind = 'evaluation' AND parent_run_id = ?
               ORDER BY created_at DESC, run_id DESC""",
            [run_id],
        ).fetchall()
    ]
    if not children:
        return None
    base = analysis_sql.run_items(cursor, run_id)
    assert base is not None
    answers = judge = None
    values: dict[str, pd.DataFrame] = {}
    sources: set[str] = set()
    for child in children:
        items = analysis_sql.run_items(cursor, child)
        assert items is not None
        if answers is None and not items.quiz_answers.empty:
            answers = items.quiz_answers
            sources.add(child)
        if judge is None and not items.judge_scores.empty:
            judge = items.judge_scores
            sources.add(child)
        for metric, part in items.metric_values.groupby("metric", sort=False):
            if metric not in values:
                values[str(metric)] = part
                sources.add(child)
    if not sources:
        return None
    evaluated = {
        uid for (uid,) in cursor.execute(
            "SELECT DISTINCT problem_uid FROM evaluation_items WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(sources)],
        ).fetchall()
    }
    figures = base.figures
    if evaluated:
        figures = figures[figures["problem_uid"].isin(evaluated)].reset_index(drop=True)
    kept = set(figures["problem_uid"])

    def only_kept(frame: pd.DataFrame | None, empty: pd.DataFrame) -> pd.DataFrame:
        if frame is None:
            return empty
        return frame[frame["problem_uid"].isin(kept)].reset_index(drop=True)

    metric_frame = (
        pd.concat(list(values.values()), ignore_index=True).sort_values(["problem_uid", "metric"])
        if values else base.metric_values
    )
    return RunItems(
        run_id=run_id,
        figures_run_id=run_id,
        figures=figures,
        quiz_answers=only_kept(answers, base.quiz_answers),
        judge_scores=only_kept(judge, base.judge_scores),
        metric_values=only_kept(metric_frame, base.metric_values),
    )
