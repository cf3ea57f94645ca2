"""Read-only SQL for training-set export (``core.export``): which evaluation runs hold the rows a
generation run's export is filtered on.

The rows themselves come through the existing readers (``Store.run_items`` merges a generation
run's evaluation runs by the leaderboard's rule: per kind of row, the most recently created
evaluation run that has any). This module only names those runs, so an export can record where its
scores came from.
"""

from __future__ import annotations

import duckdb
import pandas as pd

EVALUATION_SOURCE_COLUMNS: tuple[str, ...] = (
    "run_id", "name", "spec_name", "created_at", "items", "quiz_answers", "judge_scores", "metric_values",
)


def evaluation_sources(cursor: duckdb.DuckDBPyConnection, generation_run_id: str) -> pd.DataFrame:
    """The evaluation runs scoring ``generation_run_id``, newest first (the order merging prefers),
    with how many rows of each kind they hold. Columns: EVALUATION_SOURCE_COLUMNS."""
    frame = cursor.execute(
        """SELECT r.run_id, r.name, r.spec_name, r.created_at,
                  (SELECT count(*) FROM evaluation_items i WHERE i.run_id = r.run_id) AS items,
                  (SELECT count(*) FROM quiz_answers a WHERE a.run_id = r.run_id) AS quiz_answers,
                  (SELECT count(*) FROM judge_scores j WHERE j.run_id = r.run_id) AS judge_scores,
                  (SELECT count(*) FROM metric_values m WHERE m.run_id = r.run_id) AS metric_values
           FROM runs r
           WHERE r.kind = 'evaluation' AND r.parent_run_id = ?
           ORDER BY r.created_at DESC, r.run_id DESC""",
        [generation_run_id],
    ).df()
    for column in ("items", "quiz_answers", "judge_scores", "metric_values"):
        frame[column] = frame[column].astype("int64")
    return frame.reindex(columns=list(EVALUATION_SOURCE_COLUMNS))


def quiz_answer_counts(cursor: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Quiz answers stored for each generation run, over all its evaluation runs (runs with none
    are absent): which runs an export can filter on quiz results, in one query."""
    rows = cursor.execute(
        """SELECT r.parent_run_id, count(*)
           FROM runs r JOIN quiz_answers a ON a.run_id = r.run_id
           WHERE r.kind = 'evaluation' AND r.parent_run_id IS NOT NULL
           GROUP BY r.parent_run_id"""
    ).fetchall()
    return {str(run_id): int(count) for run_id, count in rows}
