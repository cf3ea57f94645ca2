"""A seeded workspace with figures people can review: two generation runs over the same problems
(PNG files on disk), a judge run with two judges and a quiz run for ``coder``.

Built in about a second from store records (no rendering, no models). The two judges disagree on
known items and the quiz answerer contradicts the judge on known items, so every sampling plan
has something to find.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from core.metrics import JUDGE_DIMENSIONS
from core.store import Store
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, QuizAnswerRow
from core.store.generations import GenerationRow
from core.store.records import Run
from core.workspace import Workspace
from tests.dashboard import workspaces

RUNS = ("coder", "cards")
DIMENSIONS = tuple(name for name, _ in JUDGE_DIMENSIONS)
JUDGES = ("judge-a", "judge-b")
DISAGREED = ("custom:sample-physics-mechanical-2", "custom:sample-math-plane-geometric-1")
"""Items where judge-b scores 0 where judge-a scores 2 (the judges disagree most here)."""
QUIZ_CONTRADICTS = "custom:sample-physics-circuit-1"
"""judge-a gives 2 everywhere, yet every quiz is answered wrong."""


def generation_run_id(name: str) -> str:
    return f"gen-{name}"


def judge_scores_of(uid: str) -> dict[str, dict[str, int]]:
    """judge -> dimension -> score of ``coder``'s figure of ``uid``."""
    base = 2 if uid == QUIZ_CONTRADICTS else 1
    scores = {judge: dict.fromkeys(DIMENSIONS, base) for judge in JUDGES}
    if uid in DISAGREED:
        scores["judge-a"] = dict.fromkeys(DIMENSIONS, 2)
        scores["judge-b"] = dict.fromkeys(DIMENSIONS, 0)
    return scores


def _figure(home: Path, run: str, uid: str) -> str:
    relative = Path("figures") / run / (uid.replace(":", "_") + ".png")
    path = home / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (160, 120), "white")
    ImageDraw.Draw(image).text((8, 50), f"{run}: {uid[-12:]}", fill="black")
    image.save(path)
    return str(relative)


def add_review_runs(workspace: Workspace) -> list[str]:
    """Adds the runs; returns the problem uids that have figures."""
    store = Store.open(workspace)
    problems = [p for p in store.get_problems() if p.source == "custom"]
    uids = [p.uid for p in problems]
    for name in RUNS:
        run_id = generation_run_id(name)
        store.upsert_run(Run(run_id=run_id, name=name, kind="generation", generator_kind="code"))
        store.save_generations(run_id, [
            GenerationRow(problem_uid=uid, status="ok", image_path=_figure(workspace.home, name, uid), attempts=1,
                          first_attempt_ok=True)
            for uid in uids
        ])
    coder = generation_run_id("coder")
    judge_run, quiz_run = "eval-coder-judge", "eval-coder-vqa"
    store.upsert_run(Run(run_id=judge_run, name="coder · judge:judge-a,judge-b", kind="evaluation",
                         parent_run_id=coder, spec_name="judge"))
    store.upsert_run(Run(run_id=quiz_run, name="coder · vqa:answerer", kind="evaluation", parent_run_id=coder,
                         spec_name="vqa"))
    items = [EvaluationItemRow(problem_uid=uid, status="ok", figure_status="ok") for uid in uids]
    store.save_evaluation(judge_run, items, judge_scores=[
        JudgeScoreRow(problem_uid=uid, judge=judge, dimension=dimension, score=score, rationale="seen")
        for uid in uids for judge, scores in judge_scores_of(uid).items() for dimension, score in scores.items()
    ])
    answers = []
    for problem in problems:
        for index, quiz in enumerate(problem.quizzes):
            right = problem.uid != QUIZ_CONTRADICTS
            answers.append(QuizAnswerRow(problem_uid=problem.uid, quiz_index=index, answerer="answerer",
                                         parsed_key=quiz.correct_option if right else None, correct=right))
    store.save_evaluation(quiz_run, items, quiz_answers=answers)
    return uids


def make_review_workspace(home: Path) -> Workspace:
    workspace = workspaces.make_seeded_workspace(home)
    add_review_runs(workspace)
    return workspace
