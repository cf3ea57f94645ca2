"""Inverse validation (``vqa``) and the multimodal question (``mmq``) against a scripted vision
server on 127.0.0.1: what the server receives, how replies are read, seeds, failures."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from core.evaluation import create_evaluator, registered_evaluators
from core.evaluation.base import (
    EvaluationContext,
    EvaluatorSpec,
    FigureUnderTest,
)
from core.evaluation.vqa import (
    MISSING_IMAGE,
    NO_OPTION,
    UNPARSABLE,
    MmqEvaluator,
    PresentedQuiz,
    VqaEvaluator,
    derive_seed,
    parse_option_reply,
    present_quiz,
    present_with_correct_at,
)
from core.metrics import METRICS
from core.models import ModelClient, ProfileConfig, ResponseCache
from core.models.fake_server import FakeOpenAIServer, Fault, ReceivedRequest, solid_png
from core.models.testing import FAST_RETRY, profile_for
from core.problems import Problem, Quiz

PROBLEM_TEXT = (
    "The Milky Way is about 1.7E+5 ly across and Andromeda is 1.9E+6 ly away. A scale model uses "
    "dinner plates 26 cm in diameter. Find the distance between the plates."
)
QUIZZES = [
    Quiz(
        question="What diameter is labelled on the Milky Way?",
        options={"A": "1.9E+6 ly", "B": "26 cm", "C": "1.7E+5 ly", "D": "1.7E+6 ly"},
        correct_option="C",
    ),
    Quiz(
        question="What distance separates the galaxies?",
        options={"A": "1.7E+5 ly", "B": "1.9E+6 ly", "C": "26 cm", "D": "1.9E+5 ly"},
        correct_option="B",
    ),
    Quiz(
        question="What objects represent the galaxies?",
        options={"A": "Marbles", "B": "Vinyl records", "C": "Dinner plates", "D": "Compact discs"},
        correct_option="C",
    ),
    Quiz(
        question="What is the plate diameter?",
        options={"A": "1.7 cm", "B": "1.9 cm", "C": "26 cm", "D": "17 cm"},
        correct_option="C",
    ),
]
PROBLEM = Problem(
    id="galaxies",
    source="custom",
    question=PROBLEM_TEXT,
    subject="Physics",
    image_type="Physics - Astronomical",
    answer="290.588 cm",
    quizzes=QUIZZES,
    multimodal_question="Using the galactic sizes and plate diameter shown in the figure, find the plate distance.",
)
CORRECT_TEXT = {quiz.question: quiz.options[quiz.correct_option] for quiz in QUIZZES}
GRADER_MARK = "Reply to map:"


pytestmark = pytest.mark.usefixtures("model_env")


@pytest.fixture
def server_defaults() -> dict:
    return {"hang_s": 5}


def run(coroutine):
    return asyncio.run(coroutine)


def client_for(server: FakeOpenAIServer, tmp_path: Path, *names: str) -> ModelClient:
    """A client whose profiles ``names`` (default 'vision') all call ``server``."""
    profiles = {name: profile_for(server, name=name, max_retries=1) for name in names or ("vision",)}
    return ModelClient(
        cache=ResponseCache(tmp_path / "cache"),
        retry=FAST_RETRY,
        config=ProfileConfig(None, profiles, {}, {}),
    )


@pytest.fixture
def figure(tmp_path: Path) -> FigureUnderTest:
    path = tmp_path / "figure.png"
    path.write_bytes(solid_png(40, 30))
    return FigureUnderTest(run_id="gen-1", problem_uid=PROBLEM.uid, status="ok", image_path=path)


def shown_options(request: ReceivedRequest) -> dict[str, str]:
    """label -> option text as listed in the request's text."""
    text = "\n".join(request.texts)
    block = text.split("Options:\n", 1)[1]
    return dict(re.findall(r"^([A-Z])\. (.+)$", block, flags=re.MULTILINE))


def shown_question(request: ReceivedRequest) -> str:
    return re.search(r"Question: (.+)", "\n".join(request.texts)).group(1)


def seeing_model(request: ReceivedRequest) -> str:
    """A vision model that reads the figure right: answers the label showing the correct text."""
    options = shown_options(request)
    wanted = CORRECT_TEXT[shown_question(request)]
    return next(label for label, text in options.items() if text == wanted)


# ---- reading replies ---------------------------------------------------------------------------

PRESENTED = PresentedQuiz("q", ("C", "A", "D", "B"), ("1.7E+5 ly", "1.9E+6 ly", "1.7E+6 ly", "26 cm"), 1)


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ("B", "B"),
        (" b ", "B"),
        ("(C)", "C"),
        ("C.", "C"),
        ("**D**", "D"),
        ("Answer: A", "A"),
        ("**Answer:** (B)", "B"),
        ("The answer is C.", "C"),
        ("I looked at the labels. Final answer: D", "D"),
        ("C. 1.7E+6 ly", "C"),
        ("(A) 1.7E+5 ly", "A"),
        ("26 cm", "D"),
        ("1.9E+6 ly", "B"),
        ("The plates are labelled 26 cm.", "D"),
        ("It is option B because the arrow shows it.", "B"),
    ],
)
def test_deterministic_reading_of_option_replies(reply: str, label: str) -> None:
    assert parse_option_reply(reply, PRESENTED) == label


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        "The figure is too blurry to tell, honestly, and I would rather not guess at all.",
        "Either A or B",  # two bracket-free letters, no statement
        "1.7E+5 ly or 1.9E+6 ly",  # two options named
        "The arrow near the top is long; it is clearly not 1.7E+6 ly, I think it shows 26 cm maybe",
    ],
)
def test_free_text_is_not_guessed(reply: str) -> None:
    assert parse_option_reply(reply, PRESENTED) is None


def test_lower_case_option_text_wins_over_a_label() -> None:
    presented = PresentedQuiz("q", ("A", "B", "C", "D"), ("M", "m", "a", "θ"), None)
    assert parse_option_reply("m", presented) == "B"  # the option "m", not a label
    assert parse_option_reply("a", presented) == "C"
    assert parse_option_reply("M", presented) == "A"
    assert parse_option_reply("θ", presented) == "D"
    assert parse_option_reply("D", presented) == "D"


def test_seeds_are_derived_deterministically_and_shuffles_are_reproducible() -> None:
    seed = derive_seed(7, "custom:galaxies", 2)
    assert seed == derive_seed(7, "custom:galaxies", 2)
    assert 0 <= seed < 2**63
    assert (
        len(
            {
                seed,
                derive_seed(8, "custom:galaxies", 2),
                derive_seed(7, "custom:other", 2),
                derive_seed(7, "custom:galaxies", 3),
            }
        )
        == 4
    )
    quiz = QUIZZES[0]
    first, again = present_quiz(quiz, seed), present_quiz(quiz, seed)
    assert first.presented_keys == again.presented_keys
    assert sorted(first.presented_keys) == sorted(quiz.options)
    assert first.texts == tuple(quiz.options[key] for key in first.presented_keys)
    orders = {present_quiz(quiz, derive_seed(0, "u", index)).presented_keys for index in range(20)}
    assert len(orders) > 5  # the order really changes with the seed
    assert present_quiz(quiz, None).presented_keys == ("A", "B", "C", "D")
    for position in range(4):
        shown = present_with_correct_at(quiz, position, seed)
        assert shown.presented_keys[position] == quiz.correct_option
        assert shown.original_key(shown.labels[position]) == "C"


# ---- the evaluator against the server ------------------------------------------------------------


def test_vqa_sends_only_image_question_and_shuffled_options_and_maps_back(
    make_server, tmp_path: Path, figure: FigureUnderTest
) -> None:
    server = make_server(reply=seeing_model)
    evaluator = create_evaluator(EvaluatorSpec.create("vqa", model="vision", seed=11))
    assert isinstance(evaluator, VqaEvaluator)
    output = run(evaluator.evaluate(PROBLEM, figure, EvaluationContext(client=client_for(server, tmp_path))))

    assert server.request_count == len(QUIZZES)  # one call per quiz, no grader needed
    png = figure.image_path.read_bytes()
    for request in server.requests:
        assert request.images == [png]
        text = "\n".join(request.texts)
        assert PROBLEM_TEXT not in text and "scale model" not in text and "290.588" not in text
    answers = sorted(output.quiz_answers, key=lambda answer: answer.quiz_index)
    assert [answer.quiz_index for answer in answers] == [0, 1, 2, 3]
    for index, (answer, quiz) in enumerate(zip(answers, QUIZZES, strict=True)):
        assert answer.correct and answer.parsed_key == quiz.correct_option
        assert answer.shuffle_seed == derive_seed(11, PROBLEM.uid, index)
        assert answer.presented_keys == list(present_quiz(quiz, answer.shuffle_seed).presented_keys)
        assert answer.answerer == "vision" and answer.error_class is None
        request = next(r for r in server.requests if shown_question(r) == quiz.question)
        # The options reached the model in the recorded order, relabelled A-D.
        assert shown_options(request) == {
            label: quiz.options[key] for label, key in zip("ABCD", answer.presented_keys, strict=True)
        }
        # The reply named a label; the stored key is the original key shown under it.
        assert answer.presented_keys["ABCD".index(answer.raw_reply)] == answer.parsed_key
    assert any(answer.presented_keys != ["A", "B", "C", "D"] for answer in answers)
    assert len(output.ledger) == len(QUIZZES)


def test_answers_map_back_to_original_keys_and_runs_reproduce(
    make_server, tmp_path: Path, figure: FigureUnderTest
) -> None:
    server = make_server(reply="A")  # a model that always picks the first option shown
    spec = EvaluatorSpec.create("vqa", model="vision", seed=3)
    ctx = EvaluationContext(client=client_for(server, tmp_path), use_cache=False)
    first = run(create_evaluator(spec).evaluate(PROBLEM, figure, ctx))
    second = run(create_evaluator(spec).evaluate(PROBLEM, figure, ctx))
    assert server.request_count == 2 * len(QUIZZES)
    for answer, again, quiz in zip(first.quiz_answers, second.quiz_answers, QUIZZES, strict=True):
        assert answer.parsed_key == answer.presented_keys[0]  # label A -> the key shown first
        assert answer.correct == (answer.presented_keys[0] == quiz.correct_option)
        assert (again.shuffle_seed, again.presented_keys, again.parsed_key) == (
            answer.shuffle_seed,
            answer.presented_keys,
            answer.parsed_key,
        )
    other_seed = run(
        create_evaluator(EvaluatorSpec.create("vqa", model="vision", seed=4)).evaluate(PROBLEM, figure, ctx)
    )
    assert [a.presented_keys for a in other_seed.quiz_answers] != [
        a.presented_keys for a in first.quiz_answers
    ]


def test_unshuffled_mode_keeps_the_published_order(
    make_server, tmp_path: Path, figure: FigureUnderTest
) -> None:
    server = make_server(reply="C")
    spec = EvaluatorSpec.create("vqa", model="vision", shuffle=False)
    output = run(
        create_evaluator(spec).evaluate(
            PROBLEM, figure, EvaluationContext(client=client_for(server, tmp_path))
        )
    )
    for answer in output.quiz_answers:
        assert answer.shuffle_seed is None and answer.presented_keys == ["A", "B", "C", "D"]
        assert answer.parsed_key == "C"
    # The skew this guards against: "always C" scores 3 of 4 on the published order.
    assert sum(answer.correct for answer in output.quiz_answers) == 3


def test_free_text_goes_to_the_grader_without_the_image(
    make_server, tmp_path: Path, figure: FigureUnderTest
) -> None:
    rambling = "Looking closely, the drawing seems to use the value printed near the top, which I read as the large one."

    def reply(request: ReceivedRequest) -> str:
        text = "\n".join(request.texts)
        if GRADER_MARK in text:
            return seeing_model(request)
        return rambling

    server = make_server(reply=reply)
    spec = EvaluatorSpec.create("vqa", model="vision", grader="grader")
    output = run(
        create_evaluator(spec).evaluate(
            PROBLEM, figure, EvaluationContext(client=client_for(server, tmp_path, "vision", "grader"))
        )
    )
    assert server.request_count == 2 * len(QUIZZES)
    grader_calls = [r for r in server.requests if GRADER_MARK in "\n".join(r.texts)]
    assert len(grader_calls) == len(QUIZZES)
    for request in grader_calls:
        assert request.images == []
        assert rambling in "\n".join(request.texts) and PROBLEM_TEXT not in "\n".join(request.texts)
    for answer, quiz in zip(output.quiz_answers, QUIZZES, strict=True):
        assert answer.raw_reply == rambling  # the answerer's reply, verbatim
        assert answer.correct and answer.parsed_key == quiz.correct_option
        assert answer.cost_usd is None  # unpriced fake model: unknown, not 0
        assert answer.latency_s is not None and answer.latency_s > 0
    assert len(output.ledger) == 2 * len(QUIZZES)


@pytest.mark.parametrize(
    ("grader_reply", "error_class"), [("Hmm, hard to say!!", UNPARSABLE), ("NONE", NO_OPTION)]
)
def test_garbage_replies_are_wrong_with_a_class(
    make_server, tmp_path: Path, figure: FigureUnderTest, grader_reply: str, error_class: str
) -> None:
    def reply(request: ReceivedRequest) -> str:
        return grader_reply if GRADER_MARK in "\n".join(request.texts) else "%%% ### ~~~ blorp zzz qqq www"

    server = make_server(reply=reply)
    problem = PROBLEM.model_copy(update={"quizzes": QUIZZES[:1]})
    output = run(
        create_evaluator(EvaluatorSpec.create("vqa", model="vision")).evaluate(
            problem, figure, EvaluationContext(client=client_for(server, tmp_path))
        )
    )
    (answer,) = output.quiz_answers
    assert not answer.correct and answer.parsed_key is None
    assert answer.error_class == error_class
    assert answer.raw_reply == "%%% ### ~~~ blorp zzz qqq www"
    assert server.request_count == 2


def test_empty_reply_is_unparsable_without_a_grader_call(
    make_server, tmp_path: Path, figure: FigureUnderTest
) -> None:
    server = make_server(reply="   ")
    problem = PROBLEM.model_copy(update={"quizzes": QUIZZES[:1]})
    output = run(
        create_evaluator(EvaluatorSpec.create("vqa", model="vision")).evaluate(
            problem, figure, EvaluationContext(client=client_for(server, tmp_path))
        )
    )
    assert output.quiz_answers[0].error_class == UNPARSABLE and not output.quiz_answers[0].correct
    assert server.request_count == 1


def test_missing_image_makes_every_quiz_wrong_without_a_call(make_server, tmp_path: Path) -> None:
    server = make_server(reply="C")
    evaluator = create_evaluator(EvaluatorSpec.create("vqa", model="vision"))
    ctx = EvaluationContext(client=client_for(server, tmp_path))
    failed = FigureUnderTest(run_id="g", problem_uid=PROBLEM.uid, status="failed", error_class="syntax_error")
    gone = FigureUnderTest(run_id="g", problem_uid=PROBLEM.uid, status="ok", image_path=tmp_path / "nope.png")
    for figure in (failed, gone):
        output = run(evaluator.evaluate(PROBLEM, figure, ctx))
        assert [a.quiz_index for a in output.quiz_answers] == [0, 1, 2, 3]
        assert all(not a.correct and a.error_class == MISSING_IMAGE for a in output.quiz_answers)
    assert server.request_count == 0


def test_model_failure_is_wrong_with_the_failure_class(
    make_server, tmp_path: Path, figure: FigureUnderTest
) -> None:
    server = make_server(script=[Fault.AUTH] * len(QUIZZES))
    output = run(
        create_evaluator(EvaluatorSpec.create("vqa", model="vision")).evaluate(
            PROBLEM, figure, EvaluationContext(client=client_for(server, tmp_path))
        )
    )
    assert all(not a.correct and a.error_class == "auth" and a.raw_reply is None for a in output.quiz_answers)
    assert len(output.ledger) == len(QUIZZES) and not any(entry.ok for entry in output.ledger)


def test_spec_validation_and_registration() -> None:
    assert {"vqa", "mmq"} <= set(registered_evaluators())
    with pytest.raises(ValueError, match="needs the parameter 'model'"):
        create_evaluator(EvaluatorSpec.create("vqa"))
    with pytest.raises(ValueError, match="'seed' must be an integer"):
        create_evaluator(EvaluatorSpec.create("vqa", model="m", seed="x"))
    with pytest.raises(RuntimeError, match="ModelClient"):
        run(
            create_evaluator(EvaluatorSpec.create("vqa", model="m")).evaluate(
                PROBLEM,
                FigureUnderTest(run_id="g", problem_uid=PROBLEM.uid, status="ok", image_path=Path(__file__)),
                EvaluationContext(),
            )
        )


# ---- the multimodal question -----------------------------------------------------------------------


def mmq_server(make_server, verdicts: list[str]) -> FakeOpenAIServer:
    def reply(request: ReceivedRequest) -> str:
        if "Reference answer:" in "\n".join(request.texts):
            return verdicts.pop(0) if len(verdicts) > 1 else verdicts[0]
        return "Ratio 26 cm / 1.7E+5 ly times 1.9E+6 ly.\nFinal answer: 290.6 cm"

    return make_server(reply=reply)


def test_mmq_answers_from_the_image_and_a_strict_grader_grades(make_server, tmp_path: Path, figure) -> None:
    server = mmq_server(
        make_server, ['Reasoning first.\n{"verdict": "CORRECT", "reason": "290.6 is within 2%."}']
    )
    evaluator = create_evaluator(EvaluatorSpec.create("mmq", model="vision", grader="grader"))
    assert isinstance(evaluator, MmqEvaluator)
    output = run(
        evaluator.evaluate(
            PROBLEM, figure, EvaluationContext(client=client_for(server, tmp_path, "vision", "grader"))
        )
    )
    (value,) = output.metric_values
    assert value.metric == "mmq_correct" and value.value == 1.0 and value.status == "ok"
    detail = json.loads(value.detail)
    assert detail["verdict"] == "CORRECT" and detail["reason"] == "290.6 is within 2%."
    assert detail["reply"].endswith("Final answer: 290.6 cm")
    answer_request, grade_request = server.requests
    assert answer_request.images == [figure.image_path.read_bytes()]
    answer_text = "\n".join(answer_request.texts)
    assert PROBLEM.multimodal_question in answer_text
    assert PROBLEM_TEXT not in answer_text and "290.588" not in answer_text
    assert grade_request.images == [] and "290.588 cm" in "\n".join(grade_request.texts)
    assert answer_request.model == grade_request.model == "fake-model" and len(output.ledger) == 2


def test_mmq_incorrect_ungradable_missing_and_absent(make_server, tmp_path: Path, figure) -> None:
    server = mmq_server(make_server, ["INCORRECT: the candidate gives 29 cm"])
    ctx = EvaluationContext(client=client_for(server, tmp_path))
    evaluator = create_evaluator(EvaluatorSpec.create("mmq", model="vision"))
    (value,) = run(evaluator.evaluate(PROBLEM, figure, ctx)).metric_values
    assert value.value == 0.0 and value.status == "ok" and json.loads(value.detail)["verdict"] == "INCORRECT"

    garbled = mmq_server(make_server, ["I am not sure about this one."])
    ctx = EvaluationContext(client=client_for(garbled, tmp_path / "other"))
    (value,) = run(evaluator.evaluate(PROBLEM, figure, ctx)).metric_values
    assert value.value is None and value.status == "failed"
    assert json.loads(value.detail)["error_class"] == "ungradable"
    assert garbled.request_count == 3  # answer + grader + one bounded grader retry

    missing = FigureUnderTest(run_id="g", problem_uid=PROBLEM.uid, status="failed")
    (value,) = run(evaluator.evaluate(PROBLEM, missing, ctx)).metric_values
    assert value.value == 0.0 and value.status == "failed"
    assert json.loads(value.detail)["error_class"] == MISSING_IMAGE
    no_question = PROBLEM.model_copy(update={"multimodal_question": None})
    assert run(evaluator.evaluate(no_question, figure, ctx)).metric_values == []
    assert garbled.request_count == 3


def test_mmq_metric_is_declared() -> None:
    spec = METRICS["mmq_correct"]
    assert spec.higher_is_better and (spec.lower, spec.upper) == (0.0, 100.0)


def test_option_texts_with_markdown_characters_are_matched_verbatim() -> None:
    presented = PresentedQuiz("q", ("A", "B", "C", "D"), ("2*3", "x_1", "6", "y"), None)
    assert parse_option_reply("2*3", presented) == "A"
    assert parse_option_reply("x_1", presented) == "B"
    assert parse_option_reply("**C**", presented) == "C"
