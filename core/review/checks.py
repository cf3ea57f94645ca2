"""How the judges of some generation runs were checked against people: the store's ratings and
machine scores gathered into the frames :mod:`core.review.agreement` takes.

Items are ``"<generation run id>/<problem uid>"``. When several evaluation runs hold the same
judge's scores for a figure, the most recent one counts (the leaderboard's rule); scores given to
a figure with no image are left out (nothing to compare a person's rating with).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from core.review.agreement import (
    BOOTSTRAP_RESAMPLES,
    agreement_note,
    judge_human_agreement,
    largest_disagreements,
    quiz_verdict_agreement,
    reviewer_agreement,
)
from core.store import Store

__all__ = ["JudgeCheck", "item_key", "judge_check", "judge_notes", "split_item_key"]

MISSING_IMAGE = "missing_image"


def item_key(run_id: str, problem_uid: str) -> str:
    return f"{run_id}/{problem_uid}"


def split_item_key(item: str) -> tuple[str, str]:
    run_id, _, uid = item.partition("/")
    return run_id, uid


@dataclass
class JudgeCheck:
    """Judge vs people on some runs: the tables a page or the CLI shows."""

    table: pd.DataFrame
    """Per judge and dimension: alpha, weighted kappa, intervals, items, reviewers."""
    reviewers: pd.DataFrame
    """Reviewer vs reviewer alpha per dimension (items rated by two or more)."""
    quiz: dict[str, float | int]
    """Quiz answerer vs reviewers' verdicts (accuracy, kappa, counts)."""
    disagreements: pd.DataFrame
    judge: pd.DataFrame = field(repr=False)
    human: pd.DataFrame = field(repr=False)
    note: str = ""


def _judge_frame(store: Store, run_ids: Sequence[str]) -> pd.DataFrame:
    scores = store.judge_scores_of(run_ids)
    scores = scores[scores["error_class"].fillna("") != MISSING_IMAGE]
    # judge_scores_of orders by run; the newest evaluation run's score of a figure wins.
    scores = scores.iloc[::-1].drop_duplicates(["run_id", "problem_uid", "judge", "dimension"]).iloc[::-1]
    return pd.DataFrame({
        "item": [item_key(r, u) for r, u in zip(scores["run_id"], scores["problem_uid"], strict=True)],
        "rater": scores["judge"].to_numpy(), "dimension": scores["dimension"].to_numpy(),
        "score": scores["score"].to_numpy(dtype=float),
    })


def _human_frame(store: Store, run_ids: Sequence[str]) -> pd.DataFrame:
    ratings = store.review_ratings(run_ids)
    return pd.DataFrame({
        "item": [item_key(r, u) for r, u in zip(ratings["run_id"], ratings["problem_uid"], strict=True)],
        "rater": ratings["reviewer"].to_numpy(), "dimension": ratings["dimension"].to_numpy(),
        "score": pd.to_numeric(ratings["score"], errors="coerce").to_numpy(dtype=float),
    })


def _quiz_frames(store: Store, run_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    answers = store.quiz_answers_of(run_ids)
    answers = answers.iloc[::-1].drop_duplicates(["run_id", "problem_uid", "quiz_index"]).iloc[::-1]
    verdicts = store.review_verdicts(run_ids)
    return (
        pd.DataFrame({"item": [item_key(r, u) for r, u in zip(answers["run_id"], answers["problem_uid"], strict=True)],
                      "quiz_index": answers["quiz_index"].to_numpy(), "correct": answers["correct"].to_numpy()}),
        pd.DataFrame({"item": [item_key(r, u) for r, u in zip(verdicts["run_id"], verdicts["problem_uid"], strict=True)],
                      "quiz_index": verdicts["quiz_index"].to_numpy(), "rater": verdicts["reviewer"].to_numpy(),
                      "verdict": verdicts["verdict"].to_numpy()}),
    )


def judge_check(store: Store, run_ids: Sequence[str], *, n_resamples: int = BOOTSTRAP_RESAMPLES) -> JudgeCheck:
    """Every agreement number for the figures of ``run_ids`` that people rated."""
    judge, human = _judge_frame(store, run_ids), _human_frame(store, run_ids)
    answers, verdicts = _quiz_frames(store, run_ids)
    table = judge_human_agreement(judge, human, n_resamples=n_resamples)
    return JudgeCheck(
        table=table,
        reviewers=reviewer_agreement(human, n_resamples=n_resamples),
        quiz=quiz_verdict_agreement(answers, verdicts, n_resamples=n_resamples),
        disagreements=largest_disagreements(judge, human),
        judge=judge, human=human, note=_first_judge_note(table),
    )


def _first_judge_note(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    notes = [f"{name}: {agreement_note(part)}" if table["judge"].nunique() > 1 else agreement_note(part)
             for name, part in table.groupby("judge", sort=True)]
    return " · ".join(note for note in notes if note)


def judge_notes(store: Store, run_ids: Sequence[str], *, n_resamples: int = BOOTSTRAP_RESAMPLES) -> dict[str, str]:
    """Generation run id -> how its judge was checked (only runs whose figures people rated)."""
    reviewed = set(store.review_ratings(run_ids).dropna(subset=["score"])["run_id"])
    notes = {}
    for run_id in sorted(reviewed):
        judge, human = _judge_frame(store, [run_id]), _human_frame(store, [run_id])
        note = _first_judge_note(judge_human_agreement(judge, human, n_resamples=n_resamples))
        if note:
            notes[run_id] = note
    return notes
