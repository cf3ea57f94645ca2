"""A small offline workspace for export tests: a ``reference`` run over bundled-sample problems (plus
three custom ones) with quiz answers, judge scores and a blind-solvability audit written through the
store writers.

Figures (run ``gold``) and what the scores make of them:

==========================  ======  =========================================  ===================
uid                         MMQ     quiz answers (evaluation ``gold · ocr``)   judge C&F / SP
==========================  ======  =========================================  ===================
custom:sample-math-plane-   yes     all correct                                2 / 2 (two judges)
  geometric-1
custom:sample-physics-      yes     quiz 1 wrong                               2 / 2
  circuit-1
custom:sample-chemistry-    yes     all correct                                mean 1.5 / 2
  molecular-structure-1
custom:sample-biology-      yes     quiz 0 wrong; quiz 0 flagged blind         2 / 2
  genetics-2
custom:twin-geometry        no      all correct; image = plane-geometric-1     2 / 2
                                    re-encoded with a tiny edit (near-dup)
custom:plain-incline        no      all correct                                2 / missing
custom:broken               no      (figure failed to render)                  -
==========================  ======  =========================================  ===================

Building renders 6 figures (~10 s), so the first build is kept as a template and later callers get a
copy (``export_workspace(dest)``).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from core.generation.base import GeneratorSpec
from core.jobs import ProblemSelection, generate
from core.problems.models import Problem, Quiz
from core.problems.sample import load_sample
from core.store import Run, Store
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, QuizAnswerRow
from core.store.quiz_audits import QuizAuditRow, options_json
from core.workspace import Workspace

RUN = "gold"
GEOMETRY = "custom:sample-math-plane-geometric-1"
CIRCUIT = "custom:sample-physics-circuit-1"
MOLECULE = "custom:sample-chemistry-molecular-structure-1"
GENETICS = "custom:sample-biology-genetics-2"
TWIN = "custom:twin-geometry"
INCLINE = "custom:plain-incline"
BROKEN = "custom:broken"
SAMPLE_UIDS = (GEOMETRY, CIRCUIT, MOLECULE, GENETICS)
OK_UIDS = (*SAMPLE_UIDS, TWIN, INCLINE)
INCLINE_QUESTION = (
    "A block of mass 2 kg rests on a frictionless incline of angle 30°. The incline is 1.5 m long. "
    "Find the acceleration of the block and the time it takes to slide down from the top."
)
INCLINE_CODE = """\
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.fill([0, 4, 4], [0, 0, 2.3], color="#dddddd", edgecolor="black")
ax.add_patch(plt.Rectangle((2.2, 1.27), 0.6, 0.4, angle=30, color="tab:blue"))
ax.text(2.3, 1.9, "2 kg", fontsize=14)
ax.text(0.7, 0.12, "30°", fontsize=14)
ax.text(1.4, 1.2, "1.5 m", fontsize=12, rotation=30)
ax.set_axis_off()
"""

_TEMPLATE: Path | None = None


def custom_problems(samples: dict[str, Problem]) -> list[Problem]:
    geometry = samples[GEOMETRY]
    twin = geometry.model_copy(update={"id": "twin-geometry", "multimodal_question": None})
    incline = Problem(
        id="plain-incline", source="custom", subject="Physics", image_type="Physics - Mechanical",
        question=INCLINE_QUESTION, answer="a = 4.9 m/s²; t ≈ 0.78 s",
        elements=["an incline at 30°", "a 2 kg block", "the incline length 1.5 m"],
        quizzes=[
            Quiz(question="What mass is labelled on the block?", options={"A": "1 kg", "B": "2 kg", "C": "3 kg"},
                 correct_option="B", evidence_snippet="2 kg"),
            Quiz(question="What is the incline angle?", options={"A": "30°", "B": "45°", "C": "60°"},
                 correct_option="A", evidence_snippet="30°"),
        ],
        reference_code=INCLINE_CODE,
    )
    broken = incline.model_copy(update={"id": "broken", "reference_code": "raise ValueError('no figure')\n"})
    return [twin, incline, broken]


def _perturb(path: Path) -> None:
    """A near-duplicate: re-encoded through JPEG-like resampling with a small dot added."""
    with Image.open(path) as image:
        edited = image.convert("RGB")
    width, height = edited.size
    edited = edited.resize((width - 7, height - 5)).resize((width, height))
    ImageDraw.Draw(edited).ellipse((5, 5, 11, 11), fill="gray")
    edited.save(path)


def _answers(uid: str, n_quizzes: int, wrong: set[int]) -> list[QuizAnswerRow]:
    return [
        QuizAnswerRow(problem_uid=uid, quiz_index=i, answerer="ocr", correct=i not in wrong, parsed_key="A")
        for i in range(n_quizzes)
    ]


def _judge(uid: str, cf: int | None, sp: int | None, judge: str = "j1") -> list[JudgeScoreRow]:
    return [
        JudgeScoreRow(problem_uid=uid, judge=judge, dimension=dimension, score=score,
                      error_class=None if score is not None else "unparsable")
        for dimension, score in (("judge_cf", cf), ("judge_lp", 2), ("judge_ro", 2), ("judge_sp", sp),
                                 ("judge_er", 1))
    ]


def build(home: Path) -> Workspace:
    workspace = Workspace.from_env(home).ensure()
    store = Store.open(workspace)
    samples = {p.uid: p for p in load_sample() if p.uid in SAMPLE_UIDS}
    problems = [*samples.values(), *custom_problems(samples)]
    store.upsert_problems(problems)
    generate(store, workspace, run_name=RUN, spec=GeneratorSpec.create("reference"),
             selection=ProblemSelection(ids=[p.uid for p in problems]))
    generation = store.find_run("generation", RUN)
    assert generation is not None
    statuses = store.generation_statuses(generation.run_id)
    assert statuses[BROKEN] == "failed" and all(statuses[uid] == "ok" for uid in OK_UIDS), statuses
    twin_image = store.generations(generation.run_id).set_index("problem_uid").at[TWIN, "image_path"]
    _perturb(workspace.home / twin_image)

    by_uid = {p.uid: p for p in problems}
    quizzes_run = store.create_run_if_absent(
        Run(run_id="eva-quiz", name=f"{RUN} · ocr", kind="evaluation", spec_name="vqa",
            spec_params={"model": "ocr"}, parent_run_id=generation.run_id)
    )
    wrong = {CIRCUIT: {1}, GENETICS: {0}}
    store.save_evaluation(
        quizzes_run.run_id,
        [EvaluationItemRow(problem_uid=uid, status="ok" if uid != BROKEN else "no_image",
                           figure_status=statuses[uid]) for uid in (*OK_UIDS, BROKEN)],
        quiz_answers=[a for uid in OK_UIDS for a in _answers(uid, len(by_uid[uid].quizzes), wrong.get(uid, set()))],
    )
    judge_run = store.create_run_if_absent(
        Run(run_id="eva-judge", name=f"{RUN} · judge:j1,j2", kind="evaluation", spec_name="judge",
            spec_params={"judges": ["j1", "j2"]}, parent_run_id=generation.run_id)
    )
    scores = [
        *_judge(GEOMETRY, 2, 2), *_judge(GEOMETRY, 2, 2, judge="j2"), *_judge(CIRCUIT, 2, 2),
        *_judge(MOLECULE, 2, 2), *_judge(MOLECULE, 1, 2, judge="j2"), *_judge(GENETICS, 2, 2),
        *_judge(TWIN, 2, 2), *_judge(INCLINE, 2, None),
    ]
    store.save_evaluation(
        judge_run.run_id,
        [EvaluationItemRow(problem_uid=uid, status="ok", figure_status="ok") for uid in OK_UIDS],
        judge_scores=scores,
    )
    quiz = by_uid[GENETICS].quizzes[0]
    store.save_quiz_audits([
        QuizAuditRow(problem_uid=GENETICS, quiz_index=0, model="blind-model", question=quiz.question,
                     options_json=options_json(quiz.options), correct_option=quiz.correct_option, shuffles=3,
                     n_correct=3, n_errors=0, flagged=True, seeds=[0, 1, 2], answers_json="[]",
                     prompt="blind_quiz@v1"),
    ])
    return workspace


def export_workspace(dest: Path) -> Workspace:
    """A copy of the built workspace at ``dest`` (built once per test session)."""
    global _TEMPLATE
    if _TEMPLATE is None:
        root = Path(tempfile.mkdtemp(prefix="scigen-export-kit-"))
        atexit.register(shutil.rmtree, root, True)
        template = root / "home"
        build(template)
        _TEMPLATE = template
    shutil.copytree(_TEMPLATE, dest)
    return Workspace.from_env(dest)
