"""Read-only SQL behind the figure pages: a generation run's figures with their outcomes, one
figure's scores from every evaluation run of its generation run, and the error classes met.

Which evaluation run a figure's *verdict* comes from follows the leaderboard's rule
(``core.store.evaluations.merged_run_items``): quiz answers of the most recently created evaluation
run of the generation run that has quiz answers, judge scores of the most recent one with judge
scores. The per-figure readers return the rows of every evaluation run, labelled, so a page can
show them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import duckdb
import pandas as pd

from core.store.generations import GENERATION_COLUMNS
from core.store.problems import FilterValue, where_clause

QuizVerdict = Literal["passed", "failed", "unanswered"]
"""``passed``: every answered quiz right; ``failed``: at least one wrong or abstained;
``unanswered``: no quiz answers for the figure (not evaluated, or a problem without quizzes)."""
QUIZ_VERDICTS: tuple[str, ...] = ("passed", "failed", "unanswered")
UNCLASSIFIED = "unclassified"
"""The error class shown for a failed figure that stored none (as ``Store.generation_failures``)."""

OUTCOME_COLUMNS: tuple[str, ...] = (
    "run_id", "problem_uid", "source", "subject", "image_type", "status", "error_class", "error_message",
    "image_path", "attempts", "cost_usd", "n_quizzes", "quiz_run_id", "n_answered", "n_correct",
    "judge_run_id", "judge_mean",
)

# The latest evaluation run (per generation run) holding rows in ``table``.
_LATEST_CHILD = """
    SELECT parent_run_id, run_id FROM (
        SELECT r.parent_run_id, r.run_id,
               row_number() OVER (PARTITION BY r.parent_run_id ORDER BY r.created_at DESC, r.run_id DESC) AS k
        FROM runs r
        WHERE r.kind = 'evaluation' AND r.parent_run_id IN (SELECT unnest(?::VARCHAR[]))
          AND EXISTS (SELECT 1 FROM {table} t WHERE t.run_id = r.run_id)
    ) WHERE k = 1
"""

_OUTCOMES_SQL = f"""
    WITH quiz_run AS ({_LATEST_CHILD.format(table="quiz_answers")}),
    judge_run AS ({_LATEST_CHILD.format(table="judge_scores")}),
    answers AS (
        SELECT q.run_id, q.problem_uid, count(*) AS n_answered, count_if(q.correct) AS n_correct
        FROM quiz_answers q WHERE q.run_id IN (SELECT run_id FROM quiz_run)
        GROUP BY q.run_id, q.problem_uid
    ),
    judged AS (
        SELECT j.run_id, j.problem_uid, avg(j.score) AS judge_mean
        FROM judge_scores j WHERE j.run_id IN (SELECT run_id FROM judge_run)
        GROUP BY j.run_id, j.problem_uid
    ),
    quiz_counts AS (SELECT problem_uid, count(*) AS n_quizzes FROM quizzes GROUP BY problem_uid),
    figures AS (
        SELECT g.run_id, g.problem_uid, g.problem_uid AS uid, p.source, p.subject, p.image_type, g.status,
               CASE WHEN g.status <> 'ok' THEN coalesce(g.error_class, '{UNCLASSIFIED}') ELSE g.error_class END
                   AS error_class,
               g.error_message, g.image_path, g.attempts, g.cost_usd,
               coalesce(c.n_quizzes, 0)::INTEGER AS n_quizzes,
               qr.run_id AS quiz_run_id, a.n_answered::INTEGER AS n_answered, a.n_correct::INTEGER AS n_correct,
               jr.run_id AS judge_run_id, d.judge_mean,
               p.id_sort, p.id, p.question, list_position(?::VARCHAR[], g.run_id) AS run_order
        FROM generations g
        LEFT JOIN problems p ON p.uid = g.problem_uid
        LEFT JOIN quiz_counts c ON c.problem_uid = g.problem_uid
        LEFT JOIN quiz_run qr ON qr.parent_run_id = g.run_id
        LEFT JOIN answers a ON a.run_id = qr.run_id AND a.problem_uid = g.problem_uid
        LEFT JOIN judge_run jr ON jr.parent_run_id = g.run_id
        LEFT JOIN judged d ON d.run_id = jr.run_id AND d.problem_uid = g.problem_uid
        WHERE g.run_id IN (SELECT unnest(?::VARCHAR[]))
    )
    SELECT * FROM figures p
"""

_VERDICT_SQL: dict[str, str] = {
    "passed": "coalesce(p.n_answered, 0) > 0 AND p.n_correct = p.n_answered",
    "failed": "coalesce(p.n_answered, 0) > 0 AND p.n_correct < p.n_answered",
    "unanswered": "coalesce(p.n_answered, 0) = 0",
}


def _outcome_query(
    run_ids: Sequence[str],
    *,
    subject: FilterValue,
    image_type: FilterValue,
    source: FilterValue,
    search: str | None,
    status: str | None,
    quiz: str | None,
    error_class: str | None,
    uids: Sequence[str] | None,
) -> tuple[str, list[Any]]:
    runs = list(run_ids)
    where, params = where_clause(subject=subject, image_type=image_type, source=source, search=search, uids=uids)
    conditions = [where.removeprefix("WHERE ")] if where else []
    if status is not None:
        conditions.append("p.status = ?")
        params.append(status)
    if quiz is not None:
        if quiz not in _VERDICT_SQL:
            raise ValueError(f"unknown quiz verdict {quiz!r}; expected one of {', '.join(QUIZ_VERDICTS)}")
        conditions.append(_VERDICT_SQL[quiz])
    if error_class is not None:
        # The figure's final error, or any of its attempts' (a repaired figure met it on the way).
        conditions.append(
            """(p.error_class = ? OR EXISTS (
                   SELECT 1 FROM generation_attempts t
                   WHERE t.run_id = p.run_id AND t.problem_uid = p.problem_uid AND t.error_class = ?))"""
        )
        params.extend([error_class, error_class])
    sql = _OUTCOMES_SQL + (" WHERE " + " AND ".join(conditions) if conditions else "")
    return sql, [runs, runs, runs, runs, *params]


def figure_outcomes(
    cursor: duckdb.DuckDBPyConnection,
    run_ids: Sequence[str],
    *,
    subject: FilterValue = None,
    image_type: FilterValue = None,
    source: FilterValue = None,
    search: str | None = None,
    status: str | None = None,
    quiz: str | None = None,
    error_class: str | None = None,
    uids: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """One row per (generation run, figure) of ``run_ids``, filtered; problems in the store's
    order (source, then id naturally), runs in the order given. Columns: OUTCOME_COLUMNS."""
    sql, params = _outcome_query(
        run_ids, subject=subject, image_type=image_type, source=source, search=search, status=status, quiz=quiz,
        error_class=error_class, uids=uids,
    )
    sql += " ORDER BY p.source, p.id_sort, p.id, p.problem_uid, p.run_order"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params.extend([int(limit), int(offset)])
    frame = cursor.execute(sql, params).df()
    for column in ("n_answered", "n_correct", "attempts"):
        frame[column] = frame[column].astype("Int64")
    return frame.reindex(columns=list(OUTCOME_COLUMNS))


def count_figure_outcomes(
    cursor: duckdb.DuckDBPyConnection,
    run_ids: Sequence[str],
    *,
    subject: FilterValue = None,
    image_type: FilterValue = None,
    source: FilterValue = None,
    search: str | None = None,
    status: str | None = None,
    quiz: str | None = None,
    error_class: str | None = None,
) -> int:
    sql, params = _outcome_query(
        run_ids, subject=subject, image_type=image_type, source=source, search=search, status=status, quiz=quiz,
        error_class=error_class, uids=None,
    )
    (count,) = cursor.execute(f"SELECT count(*) FROM ({sql})", params).fetchall()[0]
    return int(count)


def figure_error_classes(cursor: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """error class -> figures of the run that met it (as final outcome or in any attempt), most first."""
    return dict(
        cursor.execute(
            f"""WITH met AS (
                    SELECT problem_uid, coalesce(error_class, '{UNCLASSIFIED}') AS error_class
                    FROM generations WHERE run_id = ? AND status <> 'ok'
                    UNION
                    SELECT problem_uid, error_class FROM generation_attempts
                    WHERE run_id = ? AND error_class IS NOT NULL
                )
                SELECT error_class, count(DISTINCT problem_uid) AS n FROM met GROUP BY 1 ORDER BY 2 DESC, 1""",
            [run_id, run_id],
        ).fetchall()
    )


def generation_run_overlaps(cursor: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(run_a, run_b, problems both generation runs drew) for every pair sharing at least one
    problem, most shared first (run_a < run_b)."""
    return [
        (str(a), str(b), int(n))
        for a, b, n in cursor.execute(
            """SELECT a.run_id, b.run_id, count(*) AS n
               FROM generations a
               JOIN generations b ON a.problem_uid = b.problem_uid AND a.run_id < b.run_id
               JOIN runs ra ON ra.run_id = a.run_id AND ra.kind = 'generation'
               JOIN runs rb ON rb.run_id = b.run_id AND rb.kind = 'generation'
               GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"""
        ).fetchall()
    ]


_CHILD_COLUMNS = """e.run_id AS evaluation_run_id, e.name AS evaluation, e.spec_name AS evaluator,
                    e.created_at AS evaluated_at"""
_CHILDREN = "JOIN runs e ON e.run_id = t.run_id AND e.kind = 'evaluation' AND e.parent_run_id = ?"


def figure_quiz_answers(cursor: duckdb.DuckDBPyConnection, run_id: str, problem_uid: str) -> pd.DataFrame:
    """Quiz answers for one figure of generation run ``run_id`` from all its evaluation runs,
    newest evaluation first. Columns: evaluation_run_id, evaluation, evaluator, evaluated_at,
    quiz_index, answerer, presented_keys, raw_reply, parsed_key, correct, abstained, error_class."""
    return cursor.execute(
        f"""SELECT {_CHILD_COLUMNS}, t.quiz_index, t.answerer, t.presented_keys, t.raw_reply, t.parsed_key,
                   t.correct, t.abstained, t.error_class
            FROM quiz_answers t {_CHILDREN}
            WHERE t.problem_uid = ?
            ORDER BY e.created_at DESC, e.run_id DESC, t.quiz_index""",
        [run_id, problem_uid],
    ).df()


def figure_judge_scores(cursor: duckdb.DuckDBPyConnection, run_id: str, problem_uid: str) -> pd.DataFrame:
    """Judge scores for one figure from all evaluation runs of ``run_id``, newest first. Columns:
    evaluation_run_id, evaluation, evaluator, evaluated_at, judge, dimension, score (Int64),
    rationale, error_class."""
    frame = cursor.execute(
        f"""SELECT {_CHILD_COLUMNS}, t.judge, t.dimension, t.score, t.rationale, t.error_class
            FROM judge_scores t {_CHILDREN}
            WHERE t.problem_uid = ?
            ORDER BY e.created_at DESC, e.run_id DESC, t.judge, t.dimension""",
        [run_id, problem_uid],
    ).df()
    frame["score"] = frame["score"].astype("Int64")
    return frame


def figure_metric_values(cursor: duckdb.DuckDBPyConnection, run_id: str, problem_uid: str) -> pd.DataFrame:
    """Per-figure metric values (PSNR, SSIM, figure facts, OCR rates ...) for one figure from all
    evaluation runs of ``run_id``, newest first. Columns: evaluation_run_id, evaluation, evaluator,
    evaluated_at, metric, value, status, detail."""
    return cursor.execute(
        f"""SELECT {_CHILD_COLUMNS}, t.metric, t.value, t.status, t.detail
            FROM metric_values t {_CHILDREN}
            WHERE t.problem_uid = ?
            ORDER BY e.created_at DESC, e.run_id DESC, t.metric""",
        [run_id, problem_uid],
    ).df()


def figure_record(cursor: duckdb.DuckDBPyConnection, run_id: str, problem_uid: str) -> dict[str, Any] | None:
    """The generation row of one figure (``core.store.generations.GENERATION_COLUMNS``), or None."""
    frame = cursor.execute(
        f"SELECT {', '.join(GENERATION_COLUMNS)} FROM generations WHERE run_id = ? AND problem_uid = ?",
        [run_id, problem_uid],
    ).df()
    if frame.empty:
        return None
    record = frame.iloc[0].to_dict()
    return {key: (None if _missing(value) else value) for key, value in record.items()}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if not pd.api.types.is_scalar(value):  # lists (notes) are never "missing"
        return False
    return bool(pd.isna(value))
