"""Review sessions over a workspace with two runs: sampling plans, saving per item, resuming."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.review.sessions import (
    DIMENSIONS,
    draw_items,
    open_session,
    rated_items,
    resume_position,
    stratified,
)
from core.store import Store
from core.store.reviews import ReviewMarks
from core.workspace import Workspace
from tests.dashboard import review_workspaces as rw


@pytest.fixture
def review_store(tmp_path: Path) -> Store:
    workspace = rw.make_review_workspace(tmp_path / "home")
    return Store.open(Workspace.from_env(workspace.home))


def test_stratified_takes_one_of_each_stratum_before_a_second():
    figures = pd.DataFrame({
        "run_id": ["r"] * 6, "problem_uid": [f"p{i}" for i in range(6)],
        "subject": ["Physics", "Physics", "Physics", "Math", "Math", "Chemistry"],
        "image_type": ["Circuit", "Circuit", "Optics", "Plane", "Plane", "Lab"],
    })
    picked = stratified(figures, 4, seed=5)
    strata = {uid: (s, t) for uid, s, t in zip(figures["problem_uid"], figures["subject"], figures["image_type"],
                                                 strict=True)}
    assert len({strata[uid] for _, uid in picked}) == 4  # four strata, one each
    assert stratified(figures, 4, seed=5) == picked  # the seed fixes the draw
    assert len(stratified(figures, 50, seed=5)) == 6


def test_plans_find_what_the_workspace_planted(review_store):
    coder = rw.generation_run_id("coder")
    disagree = draw_items(review_store, [coder], "judges_disagree", 5)
    assert {uid for _, uid in disagree} == set(rw.DISAGREED)
    contradict = draw_items(review_store, [coder], "quiz_vs_judge", 1)
    assert contradict == [(coder, rw.QUIZ_CONTRADICTS)]
    both = draw_items(review_store, [coder, rw.generation_run_id("cards")], "stratified", 30)
    assert {run for run, _ in both} == {coder, rw.generation_run_id("cards")}
    with pytest.raises(ValueError, match="unknown sampling plan"):
        draw_items(review_store, [coder], "everything", 3)


def test_ratings_are_saved_per_item_and_the_session_resumes(review_store):
    runs = [rw.generation_run_id("coder")]
    session = open_session(review_store, reviewer="ana", run_ids=runs, plan="stratified", size=6, seed=1)
    assert len(session.items) == 6 and resume_position(review_store, session) == 0
    for run_id, uid in session.items[:3]:
        review_store.save_review_marks([ReviewMarks(run_id=run_id, problem_uid=uid, reviewer="ana",
                                                    scores=dict.fromkeys(DIMENSIONS, 1), verdicts={0: "readable"},
                                                    session_id=session.session_id)])
    # A half-rated fourth item does not count as done.
    run_id, uid = session.items[3]
    review_store.save_review_marks([ReviewMarks(run_id=run_id, problem_uid=uid, reviewer="ana",
                                                scores={"judge_cf": 2})])
    again = open_session(review_store, reviewer="ana", run_ids=runs, plan="stratified", size=6, seed=1)
    assert again == session and resume_position(review_store, again) == 3
    assert len(rated_items(review_store, "ana", runs)) == 3
    # Saving an item again replaces its marks.
    review_store.save_review_marks([ReviewMarks(run_id=run_id, problem_uid=uid, reviewer="ana",
                                                scores={"judge_lp": 0})])
    stored = review_store.review_ratings(runs, reviewer="ana")
    assert set(stored[stored["problem_uid"] == uid]["dimension"]) == {"judge_lp"}
    assert len(review_store.review_verdicts(runs)) == 3
    other = open_session(review_store, reviewer="ben", run_ids=runs, plan="stratified", size=6, seed=1)
    assert other.session_id != session.session_id and resume_position(review_store, other) == 0


def test_a_review_needs_a_name(review_store):
    with pytest.raises(ValueError, match="name"):
        open_session(review_store, reviewer="  ", run_ids=["x"], plan="stratified", size=3)


def test_machine_scores_come_keyed_by_generation_run(review_store):
    coder = rw.generation_run_id("coder")
    scores = review_store.judge_scores_of([coder])
    assert set(scores["run_id"]) == {coder} and set(scores["judge"]) == set(rw.JUDGES)
    answers = review_store.quiz_answers_of([coder])
    assert not answers[answers["problem_uid"] == rw.QUIZ_CONTRADICTS]["correct"].any()


def test_pairwise_sessions_resume_and_people_picks_become_comparisons(review_store):
    from core.review.arena import comparisons
    from core.store.reviews import PairwiseVote

    coder, cards = rw.generation_run_id("coder"), rw.generation_run_id("cards")
    with pytest.raises(ValueError, match="exactly two runs"):
        draw_items(review_store, [coder], "pairwise", 4)
    session = open_session(review_store, reviewer="ana", run_ids=[coder, cards], plan="pairwise", size=4)
    run_a, run_b = session.run_ids
    assert {run for run, _ in session.items} == {run_a} and len(session.items) == 4
    picks = [("a", "first"), ("b", "first"), ("a", "tie")]  # a wins, b wins, tie
    for (_, uid), (first, picked) in zip(session.items, picks, strict=False):
        review_store.save_pairwise_vote(PairwiseVote(run_a=run_a, run_b=run_b, problem_uid=uid, reviewer="ana",
                                                     first_shown=first, picked=picked))
    assert resume_position(review_store, session) == 3
    people = comparisons(review_store, judges="people")
    expected = {uid: outcome for (_, uid), outcome in zip(session.items, [1.0, 0.0, 0.5], strict=False)}
    assert dict(zip(people["problem_uid"], people["outcome"], strict=True)) == expected
    assert set(people["judge_run"]) == {"reviewer:ana"} and comparisons(review_store).empty
    run_id, uid = session.items[0]
    review_store.save_pairwise_vote(PairwiseVote(run_a=run_a, run_b=run_b, problem_uid=uid, reviewer="ana",
                                                 first_shown="a", picked=None))  # taken back
    assert resume_position(review_store, session) == 0
