"""Quiz writing for new problems (validation, one retry, balanced letters) and the blind audit,
against a scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from core.evaluation.quizgen import (
    audit_quiz,
    balance_correct_options,
    generate_quizzes,
    validate_quiz_payload,
)
from core.models import ModelClient, ProfileConfig, ResponseCache
from core.models.fake_server import FakeOpenAIServer, Fault, ReceivedRequest
from core.models.testing import FAST_RETRY, profile_for
from core.problems import Problem, Quiz

TEXT = (
    "A 2 kg block rests on a ramp inclined at 30° to the horizontal. A rope pulls it up the ramp "
    "with a force of 15 N. The coefficient of friction is 0.25. Find the acceleration."
)
PROBLEM = Problem(
    id="ramp",
    source="custom",
    subject="Physics",
    image_type="Physics - Mechanical",
    question=TEXT,
    answer="0.83 m/s^2",
)


def quiz_json(question: str, options: list[str], correct: str, snippet: str) -> dict:
    return {
        "question": question,
        "options": dict(zip("ABCD", options, strict=True)),
        "correct_option": correct,
        "evidence_snippet": snippet,
    }


GOOD_QUIZZES = [
    quiz_json("What mass is labelled on the block?", ["1 kg", "2 kg", "3 kg", "4 kg"], "B", "A 2 kg block"),
    quiz_json(
        "What angle does the ramp make with the horizontal?",
        ["45°", "60°", "30°", "15°"],
        "C",
        "inclined at 30° to the horizontal",
    ),
    quiz_json("What force does the rope apply?", ["15 N", "20 N", "10 N", "25 N"], "A", "a force of 15 N"),
    quiz_json(
        "What friction coefficient is given?",
        ["0.2", "0.3", "0.35", "0.25"],
        "D",
        "The coefficient of friction is 0.25",
    ),
]
GOOD_ELEMENTS = ["A block labelled '2 kg'.", "A ramp at 30°.", "A rope force of 15 N up the ramp."]


def payload(quizzes: list[dict], elements: list[str] = GOOD_ELEMENTS, wrap: str = "```json\n{}\n```") -> str:
    return wrap.format(json.dumps({"elements": elements, "quizzes": quizzes}))


pytestmark = pytest.mark.usefixtures("model_env")


@pytest.fixture
def server_defaults() -> dict:
    return {"hang_s": 5}


def run(coroutine):
    return asyncio.run(coroutine)


def client_for(server: FakeOpenAIServer, tmp_path: Path) -> ModelClient:
    profile = profile_for(server, name="writer", max_retries=0)
    return ModelClient(
        cache=ResponseCache(tmp_path / "cache"),
        retry=FAST_RETRY,
        config=ProfileConfig(None, {"writer": profile}, {}, {}),
    )


# ---- validation -----------------------------------------------------------------------------------


def test_a_good_payload_validates_into_quiz_records() -> None:
    elements, quizzes, issues = validate_quiz_payload(
        "Here you go:\n" + payload(GOOD_QUIZZES) + "\nEnjoy!", PROBLEM
    )
    assert issues == [] and elements == GOOD_ELEMENTS
    assert [quiz.correct_option for quiz in quizzes] == ["B", "C", "A", "D"]
    assert all(isinstance(quiz, Quiz) and len(quiz.options) == 4 for quiz in quizzes)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {**GOOD_QUIZZES[0], "options": {"A": "1 kg", "B": "2 kg", "C": "3 kg"}},
            "exactly the keys A, B, C, D",
        ),
        ({**GOOD_QUIZZES[0], "options": {"A": "2 kg", "B": "2 kg", "C": "3 kg", "D": "4 kg"}}, "same text"),
        ({**GOOD_QUIZZES[0], "correct_option": "E"}, "must be one of A, B, C, D"),
        ({**GOOD_QUIZZES[0], "evidence_snippet": "a 5 kg sphere"}, "not a span of the problem text"),
        ({**GOOD_QUIZZES[0], "evidence_snippet": ""}, "evidence_snippet' is missing"),
        ({**GOOD_QUIZZES[0], "question": "Is the 2 kg block shown?"}, "contains its own answer"),
        ({**GOOD_QUIZZES[0], "question": " "}, "'question' is missing"),
        ("not an object", "not an object"),
    ],
)
def test_invalid_quizzes_are_reported_by_index(bad, message: str) -> None:
    _, quizzes, issues = validate_quiz_payload(payload([bad, *GOOD_QUIZZES[1:]]), PROBLEM)
    assert len(quizzes) == 3
    assert len(issues) == 1 and issues[0].startswith("quizzes[0]: ") and message in issues[0]


def test_payload_level_problems() -> None:
    assert validate_quiz_payload("no json at all", PROBLEM)[2] == [
        "no JSON object with a 'quizzes' list was found in the reply"
    ]
    _, quizzes, issues = validate_quiz_payload(payload(GOOD_QUIZZES[:2]), PROBLEM)
    assert len(quizzes) == 2 and issues == ["only 2 valid quizzes; 3 to 5 are needed"]
    _, quizzes, issues = validate_quiz_payload(payload([GOOD_QUIZZES[0]] * 2 + GOOD_QUIZZES[1:]), PROBLEM)
    assert len(quizzes) == 4 and issues == ["quizzes[1]: the same question twice"]
    _, quizzes, issues = validate_quiz_payload(payload(GOOD_QUIZZES * 2), PROBLEM)
    assert len(quizzes) == 4  # duplicates dropped; never more than 5 kept
    _, _, issues = validate_quiz_payload(payload(GOOD_QUIZZES, elements=[]), PROBLEM)
    assert issues == ["no visual elements were listed"]
    # Fragments of a snippet split at "..." must each be in the text; TeX dollars are ignored.
    split = {**GOOD_QUIZZES[2], "evidence_snippet": "A rope pulls it... a force of 15 N"}
    assert validate_quiz_payload(payload([*GOOD_QUIZZES[:2], split]), PROBLEM)[2] == []


def test_correct_letters_are_spread_over_a_to_d() -> None:
    quizzes = [
        Quiz(
            **{
                **q,
                "correct_option": "A",
                "options": {
                    **q["options"],
                    "A": q["options"][q["correct_option"]],
                    q["correct_option"]: q["options"]["A"],
                },
            }
        )
        if q["correct_option"] != "A"
        else Quiz(**q)
        for q in GOOD_QUIZZES
    ]
    assert {quiz.correct_option for quiz in quizzes} == {"A"}
    balanced = balance_correct_options(quizzes, PROBLEM.uid)
    assert sorted(quiz.correct_option for quiz in balanced) == ["A", "B", "C", "D"]
    for before, after in zip(quizzes, balanced, strict=True):
        assert after.options[after.correct_option] == before.options[before.correct_option]
        assert sorted(after.options.values()) == sorted(before.options.values())
    assert balance_correct_options(quizzes, PROBLEM.uid) == balanced  # deterministic


# ---- generation against the server -----------------------------------------------------------------


def test_generation_retries_once_with_the_issues_and_keeps_the_fixed_quizzes(make_server, tmp_path) -> None:
    broken = {**GOOD_QUIZZES[0], "evidence_snippet": "a heavy crate"}
    server = make_server(script=[payload([broken, GOOD_QUIZZES[1]]), payload(GOOD_QUIZZES)])
    result = run(generate_quizzes(PROBLEM, client_for(server, tmp_path), "writer"))
    assert result.status == "ok" and result.attempts == 2 and result.error_class is None
    assert len(result.quizzes) == 4 and result.elements == GOOD_ELEMENTS
    assert result.issues == [
        "attempt 1: quizzes[0]: evidence_snippet 'a heavy crate' is not a span of the problem text",
        "attempt 1: only 1 valid quizzes; 3 to 5 are needed",
    ]
    first, retry = server.requests
    assert TEXT in "\n".join(first.texts) and "0.83 m/s^2" in "\n".join(first.texts)  # told what not to ask
    retry_messages = retry.body["messages"]
    assert [m["role"] for m in retry_messages] == ["system", "user", "assistant", "user"]
    assert "a heavy crate" in retry_messages[3]["content"]
    # Texts survive the letter balancing.
    assert {q.options[q.correct_option] for q in result.quizzes} == {"2 kg", "30°", "15 N", "0.25"}
    assert len({q.correct_option for q in result.quizzes}) == 4
    assert len(result.ledger) == 2


def test_generation_gives_up_after_one_retry(make_server, tmp_path) -> None:
    server = make_server(reply="Sorry, I cannot help with that.")
    result = run(generate_quizzes(PROBLEM, client_for(server, tmp_path), "writer"))
    assert result.status == "failed" and result.error_class == "invalid_quizzes"
    assert server.request_count == 2 and result.quizzes == []
    assert result.raw_replies == ["Sorry, I cannot help with that."] * 2


def test_a_first_attempt_with_minor_issues_is_kept_when_the_retry_is_worse(make_server, tmp_path) -> None:
    extra = {**GOOD_QUIZZES[0], "correct_option": "Z"}
    server = make_server(script=[payload([*GOOD_QUIZZES, extra]), "garbage"])
    result = run(generate_quizzes(PROBLEM, client_for(server, tmp_path), "writer"))
    assert result.status == "ok" and len(result.quizzes) == 4 and result.attempts == 2


def test_generation_model_failure(make_server, tmp_path) -> None:
    server = make_server(script=[Fault.UNKNOWN_MODEL])
    result = run(generate_quizzes(PROBLEM, client_for(server, tmp_path), "writer"))
    assert result.status == "failed" and result.error_class == "unknown_model" and server.request_count == 1


# ---- the blind audit ------------------------------------------------------------------------------

QUIZ = Quiz(**GOOD_QUIZZES[1])


def options_shown(request: ReceivedRequest) -> dict[str, str]:
    return dict(re.findall(r"^([A-Z])\. (.+)$", "\n".join(request.texts), flags=re.MULTILINE))


def knows(request: ReceivedRequest) -> str:
    """A model that knows the answer without any figure."""
    return next(label for label, text in options_shown(request).items() if text == "30°")


def test_a_quiz_answered_right_in_every_shuffle_is_flagged(make_server, tmp_path) -> None:
    server = make_server(reply=knows)
    audit = run(audit_quiz(client_for(server, tmp_path), "writer", PROBLEM.uid, 1, QUIZ, shuffles=3, seed=5))
    assert audit.flagged and audit.n_correct == 3 and audit.n_errors == 0 and audit.shuffles == 3
    assert server.request_count == 3
    positions = [ask.presented_keys.index("C") for ask in audit.asks]
    assert len(set(positions)) == 3  # the correct option moved every time
    for request in server.requests:  # no figure, no problem text: only the quiz
        text = "\n".join(request.texts)
        assert request.images == [] and TEXT not in text and "ramp inclined" not in text
        assert QUIZ.question in text
    again = run(
        audit_quiz(client_for(server, tmp_path / "b"), "writer", PROBLEM.uid, 1, QUIZ, shuffles=3, seed=5)
    )
    assert [ask.presented_keys for ask in again.asks] == [ask.presented_keys for ask in audit.asks]
    assert again.seeds == audit.seeds and len(set(audit.seeds)) == 3


def test_a_quiz_answered_wrong_once_is_not_flagged(make_server, tmp_path) -> None:
    def knows_unless_first(request: ReceivedRequest) -> str:
        label = knows(request)
        return "B" if label == "A" else label  # wrong whenever the answer is shown first

    server = make_server(reply=knows_unless_first)
    audit = run(audit_quiz(client_for(server, tmp_path), "writer", PROBLEM.uid, 1, QUIZ, shuffles=4))
    assert audit.n_correct == 3 and not audit.flagged  # 4 shuffles cover all 4 positions

    letter_fan = make_server(reply="C")  # always the same letter: right once at most
    audit = run(
        audit_quiz(client_for(letter_fan, tmp_path / "c"), "writer", PROBLEM.uid, 1, QUIZ, shuffles=3)
    )
    assert audit.n_correct <= 1 and not audit.flagged


def test_audit_failures_count_as_errors_not_flags(make_server, tmp_path) -> None:
    server = make_server(script=[Fault.AUTH], reply=knows)
    audit = run(audit_quiz(client_for(server, tmp_path), "writer", PROBLEM.uid, 1, QUIZ, shuffles=3))
    assert audit.n_errors == 1 and audit.n_correct == 2 and not audit.flagged
    assert [ask.error_class for ask in audit.asks].count("auth") == 1
    with pytest.raises(ValueError, match="shuffles"):
        run(audit_quiz(client_for(server, tmp_path), "writer", PROBLEM.uid, 1, QUIZ, shuffles=0))
