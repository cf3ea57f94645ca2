"""SQL for reviews: sessions (which items a sampling plan drew), reviewers' ratings per judge
dimension and their verdicts per quiz, plus the machine scores agreement compares them with and
the outcomes of pairwise comparisons (the arena's judgements).

Each function runs on a cursor the caller holds; callers go through the ``Store`` methods
(``save_review_session``, ``save_review_marks``, ``review_ratings`` ...). A rating is keyed by
(generation run, problem, reviewer, dimension), so saving an item again replaces its marks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Literal

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core.store.records import utc_now

__all__ = [
    "PAIRWISE_COLUMNS",
    "RATING_COLUMNS",
    "VERDICT_COLUMNS",
    "PairwiseVote",
    "ReviewMarks",
    "ReviewSession",
]

Verdict = Literal["readable", "not_readable", "bad_quiz"]
RATING_COLUMNS = ("run_id", "problem_uid", "reviewer", "dimension", "score", "session_id", "rated_at")
VERDICT_COLUMNS = ("run_id", "problem_uid", "reviewer", "quiz_index", "verdict", "session_id", "rated_at")


class ReviewSession(BaseModel):
    """A reviewer's pass over items a sampling plan drew, in review order."""

    model_config = ConfigDict(frozen=True)

    session_id: str = Field(min_length=1)
    reviewer: str = Field(min_length=1, description="Signed-in email, else the name the reviewer typed.")
    plan: str = Field(description="The sampling plan that drew the items.")
    run_ids: list[str] = Field(description="The generation runs sampled.")
    items: list[tuple[str, str]] = Field(description="(generation run id, problem uid) in review order.")
    seed: int = 0


class ReviewMarks(BaseModel):
    """Everything one reviewer said about one figure (missing dimensions/quizzes: not rated)."""

    model_config = ConfigDict(frozen=True)

    run_id: str = Field(min_length=1, description="The generation run of the figure.")
    problem_uid: str = Field(min_length=1)
    reviewer: str = Field(min_length=1)
    scores: dict[str, int | None] = Field(default_factory=dict, description="dimension -> 0..2 (None: unrated).")
    verdicts: dict[int, Verdict] = Field(default_factory=dict, description="quiz index -> verdict.")
    session_id: str | None = None


class PairwiseVote(BaseModel):
    """A reviewer's pick between two runs' figures of one problem."""

    model_config = ConfigDict(frozen=True)

    run_a: str = Field(min_length=1)
    run_b: str = Field(min_length=1)
    problem_uid: str = Field(min_length=1)
    reviewer: str = Field(min_length=1)
    first_shown: Literal["a", "b"] = Field(description="Whose figure was shown first (on the left).")
    picked: Literal["first", "second", "tie"] | None = Field(description="None: take the vote back.")
    session_id: str | None = None


PAIRWISE_COLUMNS = ("run_a", "run_b", "problem_uid", "reviewer", "first_shown", "picked", "session_id", "rated_at")


def insert_session(cursor: duckdb.DuckDBPyConnection, session: ReviewSession) -> bool:
    """Store ``session`` unless one with its id exists (a resumed session keeps its first draw)."""
    exists = cursor.execute("SELECT 1 FROM review_sessions WHERE session_id = ?", [session.session_id]).fetchone()
    if exists:
        return False
    cursor.execute(
        "INSERT INTO review_sessions (session_id, reviewer, plan, run_ids, items_json, seed, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [session.session_id, session.reviewer, session.plan, session.run_ids,
         json.dumps([list(item) for item in session.items]), session.seed, utc_now()],
    )
    return True


def select_session(cursor: duckdb.DuckDBPyConnection, session_id: str) -> ReviewSession | None:
    row = cursor.execute(
        "SELECT session_id, reviewer, plan, run_ids, items_json, seed FROM review_sessions WHERE session_id = ?",
        [session_id],
    ).fetchone()
    if row is None:
        return None
    return ReviewSession(session_id=row[0], reviewer=row[1], plan=row[2], run_ids=list(row[3]),
                         items=[tuple(item) for item in json.loads(row[4])], seed=int(row[5]))


def upsert_marks(cursor: duckdb.DuckDBPyConnection, marks: Iterable[ReviewMarks]) -> int:
    """Replace each figure's marks by this reviewer with the given ones; returns figures written."""
    written = 0
    now = utc_now()
    for mark in marks:
        key = [mark.run_id, mark.problem_uid, mark.reviewer]
        cursor.execute("DELETE FROM review_ratings WHERE run_id = ? AND problem_uid = ? AND reviewer = ?", key)
        cursor.execute("DELETE FROM review_verdicts WHERE run_id = ? AND problem_uid = ? AND reviewer = ?", key)
        if mark.scores:
            cursor.executemany(
                "INSERT INTO review_ratings (run_id, problem_uid, reviewer, dimension, score, session_id, rated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[*key, dimension, score, mark.session_id, now] for dimension, score in mark.scores.items()],
            )
        if mark.verdicts:
            cursor.executemany(
                "INSERT INTO review_verdicts (run_id, problem_uid, reviewer, quiz_index, verdict, session_id, "
                "rated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[*key, index, verdict, mark.session_id, now] for index, verdict in mark.verdicts.items()],
            )
        written += 1
    return written


def _filters(run_ids: Sequence[str] | None, reviewer: str | None) -> tuple[str, list[object]]:
    clauses, params = [], []
    if run_ids is not None:
        clauses.append("run_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(run_ids))
    if reviewer is not None:
        clauses.append("reviewer = ?")
        params.append(reviewer)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def select_ratings(
    cursor: duckdb.DuckDBPyConnection, run_ids: Sequence[str] | None = None, reviewer: str | None = None
) -> pd.DataFrame:
    """Columns: :data:`RATING_COLUMNS` (score Int64, NULL = unrated)."""
    where, params = _filters(run_ids, reviewer)
    frame = cursor.execute(
        f"SELECT {', '.join(RATING_COLUMNS)} FROM review_ratings{where} "
        "ORDER BY run_id, problem_uid, reviewer, dimension", params,
    ).df()
    frame["score"] = frame["score"].astype("Int64")
    return frame


def select_verdicts(
    cursor: duckdb.DuckDBPyConnection, run_ids: Sequence[str] | None = None, reviewer: str | None = None
) -> pd.DataFrame:
    """Columns: :data:`VERDICT_COLUMNS`."""
    where, params = _filters(run_ids, reviewer)
    return cursor.execute(
        f"SELECT {', '.join(VERDICT_COLUMNS)} FROM review_verdicts{where} "
        "ORDER BY run_id, problem_uid, reviewer, quiz_index", params,
    ).df()


def select_judge_scores(cursor: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> pd.DataFrame:
    """Judge scores of every evaluation run of the generation runs ``run_ids``. Columns: run_id (the
    generation run), evaluation_run_id, problem_uid, judge, dimension, score (float, NaN = none),
    error_class."""
    frame = cursor.execute(
        """SELECT e.parent_run_id AS run_id, j.run_id AS evaluation_run_id, j.problem_uid, j.judge,
                  j.dimension, j.score, j.error_class
           FROM judge_scores j JOIN runs e ON e.run_id = j.run_id
           WHERE e.kind = 'evaluation' AND e.parent_run_id IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY run_id, j.problem_uid, j.judge, j.dimension""",
        [list(run_ids)],
    ).df()
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    return frame


def select_quiz_answers(cursor: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> pd.DataFrame:
    """Quiz answers of every evaluation run of the generation runs ``run_ids``. Columns: run_id (the
    generation run), evaluation_run_id, problem_uid, quiz_index, answerer, correct (None when no
    answer was had: an error)."""
    return cursor.execute(
        """SELECT e.parent_run_id AS run_id, q.run_id AS evaluation_run_id, q.problem_uid, q.quiz_index,
                  q.answerer, CASE WHEN q.error_class IS NULL THEN q.correct END AS correct
           FROM quiz_answers q JOIN runs e ON e.run_id = q.run_id
           WHERE e.kind = 'evaluation' AND e.parent_run_id IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY run_id, q.problem_uid, q.answerer, q.quiz_index""",
        [list(run_ids)],
    ).df()


def select_pairwise(cursor: duckdb.DuckDBPyConnection, metric: str) -> pd.DataFrame:
    """Every stored per-figure value of ``metric`` (a pairwise evaluator's outcome) with the
    generation run it belongs to. Columns: run_a (generation run name), run_a_id, evaluation_run_id,
    evaluation (its name), problem_uid, value, status, detail."""
    return cursor.execute(
        """SELECT g.name AS run_a, g.run_id AS run_a_id, e.run_id AS evaluation_run_id, e.name AS evaluation,
                  m.problem_uid, m.value, m.status, m.detail
           FROM metric_values m
           JOIN runs e ON e.run_id = m.run_id AND e.kind = 'evaluation'
           JOIN runs g ON g.run_id = e.parent_run_id
           WHERE m.metric = ?
           ORDER BY e.created_at, e.run_id, m.problem_uid""",
        [metric],
    ).df()


def upsert_vote(cursor: duckdb.DuckDBPyConnection, vote: PairwiseVote) -> None:
    """Replace the reviewer's vote on this pair and problem (``picked`` None: remove it)."""
    key = [vote.run_a, vote.run_b, vote.problem_uid, vote.reviewer]
    cursor.execute("DELETE FROM review_pairwise WHERE run_a = ? AND run_b = ? AND problem_uid = ? AND reviewer = ?",
                   key)
    if vote.picked is not None:
        cursor.execute(
            "INSERT INTO review_pairwise (run_a, run_b, problem_uid, reviewer, first_shown, picked, session_id, "
            "rated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [*key, vote.first_shown, vote.picked, vote.session_id, utc_now()],
        )


def select_votes(cursor: duckdb.DuckDBPyConnection, run_ids: Sequence[str] | None = None,
                 reviewer: str | None = None) -> pd.DataFrame:
    """Columns: :data:`PAIRWISE_COLUMNS` plus name_a, name_b (the runs' names); ``run_ids``
    keeps votes between those runs only."""
    clauses, params = [], []
    if run_ids is not None:
        clauses.append("v.run_a IN (SELECT unnest(?::VARCHAR[])) AND v.run_b IN (SELECT unnest(?::VARCHAR[]))")
        params += [list(run_ids), list(run_ids)]
    if reviewer is not None:
        clauses.append("v.reviewer = ?")
        params.append(reviewer)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return cursor.execute(
        f"""SELECT {', '.join('v.' + name for name in PAIRWISE_COLUMNS)}, a.name AS name_a, b.name AS name_b
            FROM review_pairwise v LEFT JOIN runs a ON a.run_id = v.run_a LEFT JOIN runs b ON b.run_id = v.run_b
            {where} ORDER BY v.run_a, v.run_b, v.problem_uid, v.reviewer""",
        params,
    ).df()
