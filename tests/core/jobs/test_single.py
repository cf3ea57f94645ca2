"""One problem, nothing stored (core.jobs.single) and the live step reports of the generators
(``GenerationContext.on_step``): what the dashboard's Generate page streams."""

from __future__ import annotations

import pytest

from core.evaluation.base import EvaluatorSpec
from core.generation.base import GenerationStep, GeneratorSpec
from core.jobs import JobError
from core.jobs.single import custom_problem, evaluate_one, generate_one
from core.problems.models import Quiz
from core.problems.sample import load_sample

PLAN = (
    "Plan\nImage Content: a block on an incline.\nLayout: one axes.\nLabels: m = 2 kg, 30°.\n"
    "Drawing Considerations: no answer.\n\n"
)
GOOD = (
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 3], [0, 1.7])\n"
    "ax.text(1, 1.2, 'm = 2 kg', fontsize=14)\nax.text(2.2, 0.2, '30°', fontsize=14)\nax.axis('off')\n"
)
BROKEN = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nweight = undefined_mass * 9.8\n"
QUESTION = "A block of mass m = 2 kg rests on a frictionless incline of angle 30°. Find its acceleration."


def reply(code: str) -> str:
    return f"{PLAN}```python\n{code}```\n"


def broken_then_fixed(messages):
    repair = any(message.get("role") == "assistant" for message in messages)
    return reply(GOOD if repair else BROKEN)


def steps_of(collected: list[GenerationStep]) -> list[tuple[str, str, int]]:
    return [(step.step, step.status, step.attempt) for step in collected]


def test_custom_problem_is_a_stable_custom_item():
    first = custom_problem(f"  {QUESTION}\n", "Physics", image_type="Physics - Mechanical")
    assert first.source == "custom" and first.uid.startswith("custom:ws-") and first.question == QUESTION
    assert custom_problem(QUESTION, "Physics").id == first.id  # the same text is the same problem
    with pytest.raises(ValueError, match="empty"):
        custom_problem("   ", "Physics")
    with pytest.raises(ValueError, match="belongs to Chemistry"):
        custom_problem(QUESTION, "Physics", image_type="Chemistry - Spectra")
    with pytest.raises(ValueError):
        custom_problem(QUESTION, "Astrology")


def test_text_card_reports_its_steps_and_returns_a_figure(workspace, render_pool):
    collected: list[GenerationStep] = []
    result = generate_one(
        custom_problem(QUESTION, "Physics"),
        GeneratorSpec.create("text-card"),
        workspace=workspace,
        render_pool=render_pool,
        on_step=collected.append,
    )
    assert result.status == "ok" and result.image.startswith(b"\x89PNG")
    assert steps_of(collected) == [
        ("understand", "ok", 0),
        ("code", "ok", 0),
        ("render", "running", 0),
        ("render", "ok", 0),
    ]
    assert collected[1].detail == result.code and "adversarial baseline" in collected[1].message


def test_imgcoder_reports_understand_plan_code_render_and_the_repair(workspace, render_pool):
    collected: list[GenerationStep] = []
    result = generate_one(
        custom_problem(QUESTION, "Physics"),
        GeneratorSpec.create("imgcoder", model="openai/fake-model"),
        workspace=workspace,
        render_pool=render_pool,
        on_step=collected.append,
        extras={"mock_response": broken_then_fixed},
    )
    assert result.status == "ok" and len(result.attempts) == 2 and not result.first_attempt_ok
    assert steps_of(collected) == [
        ("understand", "running", 0),
        ("understand", "ok", 0),
        ("plan", "ok", 0),
        ("code", "ok", 0),
        ("render", "running", 0),
        ("render", "failed", 0),
        ("repair", "running", 1),
        ("repair", "ok", 1),
        ("plan", "ok", 1),
        ("code", "ok", 1),
        ("render", "running", 1),
        ("render", "ok", 1),
    ]
    assert "runtime_error" in collected[5].message and "runtime_error" in collected[6].message
    assert collected[2].detail.startswith("Plan") and collected[9].detail.strip() == GOOD.strip()


def test_a_reply_without_code_is_reported_as_a_failed_code_step(workspace, render_pool):
    collected: list[GenerationStep] = []
    result = generate_one(
        custom_problem(QUESTION, "Physics"),
        GeneratorSpec.create("imgcoder", model="openai/fake-model", max_attempts=1),
        workspace=workspace,
        render_pool=render_pool,
        on_step=collected.append,
        extras={"mock_response": "I would draw a block on an incline."},
    )
    assert result.status == "failed"
    assert [step for step, _, _ in steps_of(collected)] == ["understand", "understand", "plan", "code"]
    assert steps_of(collected)[-1] == ("code", "failed", 0)
    assert collected[-1].message.startswith("No usable script")


def test_an_unknown_profile_is_a_job_error(workspace):
    with pytest.raises(JobError, match="unknown profile"):
        generate_one(
            custom_problem(QUESTION, "Physics"),
            GeneratorSpec.create("imgcoder", model="nope"),
            workspace=workspace,
        )


def test_the_reference_figure_answers_its_quizzes_by_ocr(workspace, render_pool):
    problem = next(p for p in load_sample() if p.quizzes and p.reference_code)
    result = generate_one(
        problem, GeneratorSpec.create("reference"), workspace=workspace, render_pool=render_pool
    )
    ocr = [EvaluatorSpec.create("ocr")]
    answers = evaluate_one(problem, result.image, ocr, workspace=workspace)[0].quiz_answers
    assert [answer.quiz_index for answer in answers] == list(range(len(problem.quizzes)))
    assert all(answer.answerer == "ocr" for answer in answers)
    assert sum(answer.correct for answer in answers) >= 1
    no_quizzes = custom_problem(QUESTION, "Physics")
    assert evaluate_one(no_quizzes, result.image, ocr, workspace=workspace)[0].quiz_answers == []


def test_evaluate_one_runs_figure_evaluators_and_refuses_set_ones(workspace, render_pool):
    quiz = Quiz(
        question="What is the mass?",
        options={"A": "1 kg", "B": "2 kg", "C": "3 kg", "D": "4 kg"},
        correct_option="B",
    )
    problem = custom_problem(QUESTION, "Physics").model_copy(update={"quizzes": [quiz]})
    figure = generate_one(
        problem, GeneratorSpec.create("text-card"), workspace=workspace, render_pool=render_pool
    )
    (output,) = evaluate_one(problem, figure.image, [EvaluatorSpec.create("ocr")], workspace=workspace)
    assert len(output.quiz_answers) == 1 and output.quiz_answers[0].problem_uid == problem.uid
    with pytest.raises(JobError, match="whole run"):
        evaluate_one(problem, figure.image, [EvaluatorSpec.create("fid")], workspace=workspace)


def test_evaluate_one_asks_a_vision_model_and_a_judge(workspace, render_pool, make_server):
    from core.models import ProfileConfig
    from core.models.testing import profile_for

    judge_reply = '{"judge_cf": 2, "judge_lp": 1, "judge_ro": 2, "judge_sp": 2, "judge_er": 0}'

    def answer(request) -> str:
        asks_judge = any("Correctness" in text or "judge" in text.lower() for text in request.texts)
        return judge_reply if asks_judge else "The mass shown is 2 kg."

    server = make_server(reply=answer)
    profiles = ProfileConfig(None, {"fake": profile_for(server)}, {}, {})
    quiz = Quiz(question="What is the mass?", options={"A": "1 kg", "B": "2 kg", "C": "3 kg", "D": "4 kg"},
                correct_option="B")
    problem = custom_problem(QUESTION, "Physics").model_copy(update={"quizzes": [quiz]})
    figure = generate_one(problem, GeneratorSpec.create("text-card"), workspace=workspace, render_pool=render_pool)
    vqa, judge = evaluate_one(
        problem, figure.image,
        [EvaluatorSpec.create("vqa", model="fake"), EvaluatorSpec.create("judge", judges=["fake"])],
        workspace=workspace, profiles=profiles,
    )
    (answered,) = vqa.quiz_answers
    assert answered.parsed_key == "B" and answered.correct and answered.answerer == "fake"
    scores = {score.dimension: score.score for score in judge.judge_scores}
    assert scores == {"judge_cf": 2, "judge_lp": 1, "judge_ro": 2, "judge_sp": 2, "judge_er": 0}
    assert all(len(request.images) == 1 for request in server.requests)  # each saw the figure
