"""Read-only SQL for statistics: the per-figure rows behind a run's numbers.

``core.evaluation.stats.build_figure_table(**items.frames())`` turns a :class:`RunItems` into
the figure table that aggregates, paired comparisons and tie groups are computed from.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd


@dataclass(frozen=True)
class RunItems:
    """Per-figure rows of one run.

    ``figures`` come from the generations of ``figures_run_id`` (the run itself, or the generation
    run an evaluation run scores); answers, judge scores and metric values are those stored under
    ``run_id``. ``figures`` columns: problem_uid, subject, image_type, n_quizzes, status (subject is
    NULL for a figure whose problem is not stored).
    """

    run_id: str
    figures_run_id: str
    figures: pd.DataFrame
    quiz_answers: pd.DataFrame
    judge_scores: pd.DataFrame
    metric_values: pd.DataFrame

    @property
    def has_figures(self) -> bool:
        return not self.figures.empty

    def frames(self) -> dict[str, pd.DataFrame]:
        """Keyword arguments for ``build_figure_table``."""
        return {
            "figures": self.figures,
            "quiz_answers": self.quiz_answers,
            "judge_scores": self.judge_scores,
            "metric_values": self.metric_values,
        }


def run_items(cursor: duckdb.DuckDBPyConnection, run_id: str) -> RunItems | None:
    """The per-figure rows of ``run_id``; None when there is no such run."""
    found = cursor.execute("SELECT kind, parent_run_id FROM runs WHERE run_id = ?", [run_id]).fetchall()
    if not found:
        return None
    kind, parent = found[0]
    figures_run = parent if kind == "evaluation" and parent else run_id
    figures = cursor.execute(
        """SELECT g.problem_uid, p.subject, p.image_type, COALESCE(q.n_quizzes, 0) AS n_quizzes, g.status
           FROM generations g
           LEFT JOIN problems p ON p.uid = g.problem_uid
           LEFT JOIN (SELECT problem_uid, count(*) AS n_quizzes FROM quizzes GROUP BY problem_uid) q
                  ON q.problem_uid = g.problem_uid
           WHERE g.run_id = ?
           ORDER BY g.problem_uid""",
        [figures_run],
    ).df()
    quiz_answers = cursor.execute(
        """SELECT problem_uid, quiz_index, correct, abstained, error_class
           FROM quiz_answers WHERE run_id = ? ORDER BY problem_uid, quiz_index""",
        [run_id],
    ).df()
    judge_scores = cursor.execute(
        """SELECT problem_uid, judge, dimension, score
           FROM judge_scores WHERE run_id = ? ORDER BY problem_uid, judge, dimension""",
        [run_id],
    ).df()
    metric_values = cursor.execute(
        """SELECT problem_uid, metric, value, status
           FROM metric_values WHERE run_id = ? ORDER BY problem_uid, metric""",
        [run_id],
    ).df()
    return RunItems(
        run_id=run_id,
        figures_run_id=figures_run,
        figures=figures,
        quiz_answers=quiz_answers,
        judge_scores=judge_scores,
        metric_values=metric_values,
    )
