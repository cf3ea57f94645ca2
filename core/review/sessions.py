"""Review sessions: which figures a reviewer sees, in which order, and where they stopped.

A sampling plan draws items (a generation run's figure of one problem; only figures that
rendered) from the chosen runs:

* ``stratified``: round-robin over (subject, image type) strata, shuffled with the seed, so a
  small review still covers every kind of figure;
* ``judges_disagree``: figures whose judges disagree most (sum over dimensions of the spread
  between judges), for runs scored by two or more judges;
* ``quiz_vs_judge``: figures where the quiz answerer and the judge disagree most: the gap between
  the share of quizzes answered right and the judge's mean score on a 0-1 scale;
* ``pairwise``: two runs, their figures of the same problem side by side (problems both rendered,
  stratified); the reviewer picks the better one or a tie, as the arena's judge does.

A session's id is derived from (reviewer, plan, runs, size, seed), so choosing the same again
resumes it: the draw is stored once and the review continues at the first item the reviewer has
not rated on all five dimensions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.evaluation.agreement import disagreements
from core.metrics import JUDGE_DIMENSIONS
from core.store import Store
from core.store.reviews import ReviewSession

__all__ = [
    "DIMENSIONS",
    "PAIRWISE",
    "PLANS",
    "draw_items",
    "judges_disagree",
    "open_session",
    "pair_of",
    "quiz_vs_judge",
    "rated_items",
    "resume_position",
    "session_id_of",
    "stratified",
]

DIMENSIONS: tuple[str, ...] = tuple(name for name, _ in JUDGE_DIMENSIONS)
PLANS: dict[str, str] = {
    "stratified": "Stratified by subject and image type",
    "judges_disagree": "Where the judges disagree most",
    "quiz_vs_judge": "Where the quiz answerer and the judge disagree",
    "pairwise": "Two runs side by side: pick the better figure",
}
PAIRWISE = "pairwise"
Item = tuple[str, str]


def stratified(figures: pd.DataFrame, size: int, seed: int = 0) -> list[Item]:
    """Up to ``size`` figures (run_id, problem_uid), taking one from each (subject, image type)
    stratum in turn; strata and their figures shuffled by ``seed``."""
    if figures.empty:
        return []
    rng = np.random.default_rng(seed)
    strata = [
        [(row.run_id, row.problem_uid) for row in part.sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
         .itertuples()]
        for _, part in figures.fillna({"subject": "", "image_type": ""}).groupby(["subject", "image_type"], sort=True)
    ]
    order = rng.permutation(len(strata))
    picked: list[Item] = []
    depth = 0
    while len(picked) < size and any(depth < len(stratum) for stratum in strata):
        for position in order:
            if depth < len(strata[position]) and len(picked) < size:
                picked.append(strata[position][depth])
        depth += 1
    return picked


def judges_disagree(judge_scores: pd.DataFrame, size: int) -> list[Item]:
    """Up to ``size`` figures whose judges disagree most (ties: by run, problem)."""
    ranked = []
    for run_id, part in judge_scores.groupby("run_id", sort=True):
        worst = disagreements(part, top=None)
        ranked += [(row.total_spread, run_id, row.problem_uid) for row in worst.itertuples()]
    ranked.sort(key=lambda entry: (-entry[0], entry[1], entry[2]))
    return [(run_id, uid) for _, run_id, uid in ranked[:size]]


def quiz_vs_judge(figures: pd.DataFrame, size: int) -> list[Item]:
    """Up to ``size`` figures with both quiz answers and judge scores, largest gap between quiz
    accuracy and the judge's mean score / 2 first."""
    both = figures.dropna(subset=["judge_mean"])
    both = both[pd.to_numeric(both["n_answered"], errors="coerce").fillna(0) > 0].copy()
    if both.empty:
        return []
    both["gap"] = (both["n_correct"] / both["n_answered"] - both["judge_mean"] / 2.0).abs()
    both = both.sort_values(["gap", "run_id", "problem_uid"], ascending=[False, True, True], kind="stable")
    return [(row.run_id, row.problem_uid) for row in both.head(size).itertuples()]


def draw_items(store: Store, run_ids: Sequence[str], plan: str, size: int, seed: int = 0) -> list[Item]:
    """The items ``plan`` draws from the rendered figures of ``run_ids``."""
    if plan not in PLANS:
        raise ValueError(f"unknown sampling plan {plan!r}; known: {', '.join(PLANS)}")
    figures = store.figure_outcomes(list(run_ids), status="ok")
    if plan == PAIRWISE:
        if len(set(run_ids)) != 2:
            raise ValueError("the pairwise plan compares exactly two runs")
        first, second = pair_of(run_ids)
        shared = set(figures.loc[figures["run_id"] == second, "problem_uid"])
        return stratified(figures[(figures["run_id"] == first) & figures["problem_uid"].isin(shared)], size, seed)
    if plan == "stratified":
        return stratified(figures, size, seed)
    if plan == "quiz_vs_judge":
        return quiz_vs_judge(figures, size)
    rendered = set(zip(figures["run_id"], figures["problem_uid"], strict=True))
    scores = store.judge_scores_of(list(run_ids))
    scores = scores[[(run, uid) in rendered for run, uid in zip(scores["run_id"], scores["problem_uid"], strict=True)]]
    return judges_disagree(scores, size)


def pair_of(run_ids: Sequence[str]) -> tuple[str, str]:
    """(run a, run b) of a pairwise session: the two runs in sorted order."""
    first, second = sorted(set(run_ids))
    return first, second


def session_id_of(reviewer: str, plan: str, run_ids: Sequence[str], size: int, seed: int) -> str:
    key = json.dumps([reviewer, plan, sorted(run_ids), size, seed])
    return "review-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def open_session(
    store: Store, *, reviewer: str, run_ids: Sequence[str], plan: str, size: int, seed: int = 0
) -> ReviewSession:
    """The reviewer's session for these choices: the stored one when it exists, else a new draw."""
    reviewer = reviewer.strip()
    if not reviewer:
        raise ValueError("a review needs the reviewer's name")
    session_id = session_id_of(reviewer, plan, run_ids, size, seed)
    existing = store.review_session(session_id)
    if existing is not None:
        return existing
    session = ReviewSession(session_id=session_id, reviewer=reviewer, plan=plan, run_ids=sorted(run_ids),
                            items=draw_items(store, run_ids, plan, size, seed), seed=seed)
    store.save_review_session(session)
    return session


def rated_items(store: Store, reviewer: str, run_ids: Sequence[str]) -> set[Item]:
    """Figures the reviewer rated on all five dimensions."""
    ratings = store.review_ratings(run_ids, reviewer=reviewer).dropna(subset=["score"])
    counts = ratings.groupby(["run_id", "problem_uid"])["dimension"].nunique()
    return {key for key, count in counts.items() if count >= len(DIMENSIONS)}


def resume_position(store: Store, session: ReviewSession) -> int:
    """Index of the first item of the session the reviewer has not fully rated (len = all done)."""
    if session.plan == PAIRWISE:
        votes = store.pairwise_votes(session.run_ids, reviewer=session.reviewer)
        done = {(session.run_ids[0], uid) for uid in votes["problem_uid"]}
    else:
        done = rated_items(store, session.reviewer, session.run_ids)
    return next((index for index, item in enumerate(session.items) if tuple(item) not in done), len(session.items))
