"""The published scoring's R_inv and question accuracy, against a count by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from core.evaluation.aggregates import EvaluationRows, figure_aggregates, paper_rule_aggregates

FIGURES = pd.DataFrame({
    "problem_uid": ["p:1", "p:2", "p:3", "p:4"],
    "subject": ["Physics", "Physics", "Biology", "Biology"],
    "image_type": [None, None, None, None],
    "n_quizzes": [2, 2, 2, 1],
    "status": ["ok", "ok", "failed", "ok"],
})
ANSWERS = pd.DataFrame({
    "problem_uid": ["p:1", "p:1", "p:2", "p:2", "p:3", "p:3", "p:4"],
    "quiz_index": [0, 1, 0, 1, 0, 1, 0],
    "correct": [True, True, True, False, False, False, True],
    "abstained": [False] * 7,
    # p:2's second answer failed at the API (dropped); p:3 has no image (left out)
    "error_class": [None, None, None, "timeout", "missing_image", "missing_image", None],
})


def rows(metric_values: pd.DataFrame | None = None) -> EvaluationRows:
    empty = pd.DataFrame(columns=["problem_uid", "metric", "value"])
    return EvaluationRows(FIGURES, ANSWERS, pd.DataFrame(), metric_values if metric_values is not None else empty)


def overall(aggregates) -> dict[str, float]:
    return {a.metric: a.value for a in aggregates if a.scope == "overall"}


def test_missing_images_are_left_out_and_api_errors_dropped() -> None:
    numbers = overall(paper_rule_aggregates(rows()))
    # images p:1 (2/2), p:2 (1/1 after the dropped answer), p:4 (1/1): all perfect; p:3 left out
    assert numbers == {"perfect_image_rate": pytest.approx(100.0), "question_accuracy": pytest.approx(100.0)}
    strict = overall(figure_aggregates(rows()))
    assert strict["rinv"] == pytest.approx(100 * 2 / 4)  # p:2 incomplete and p:3 missing count as failed
    assert strict["perfect_image_rate"] == pytest.approx(100.0)  # both stored side by side


def test_the_open_question_joins_the_image_when_the_rows_hold_it() -> None:
    values = pd.DataFrame({
        "problem_uid": ["p:1", "p:2", "p:4"], "metric": ["mmq_correct"] * 3, "value": [0.0, 100.0, None],
    })
    numbers = overall(paper_rule_aggregates(rows(values)))
    # p:1 now misses its open question; p:4's open question has no verdict (errored): dropped
    assert numbers["perfect_image_rate"] == pytest.approx(100 * 2 / 3)
    assert numbers["question_accuracy"] == pytest.approx(100 * 5 / 6)
