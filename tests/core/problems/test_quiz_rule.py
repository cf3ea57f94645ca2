"""The malformed-quiz rule, case by case (normalise when unambiguous, else drop; always a finding)."""

import pytest

from core.problems.importer import normalise_quiz

OPTIONS = {"A": "1 m", "B": "2 m", "C": "3 m", "D": "4 m"}


def quiz(**changes):
    base = {"question": "Which length?", "options": OPTIONS, "correct_option": "B", "evidence_snippet": "2 m"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def reasons(outcome):
    return [(f.action, f.reason) for f in outcome.findings]


def test_well_formed_quiz_has_no_findings():
    outcome = normalise_quiz(quiz())
    assert outcome.findings == [] and outcome.quiz.options == OPTIONS and outcome.quiz.correct_option == "B"


def test_stray_fields_dropped():
    outcome = normalise_quiz(quiz(group="Visual", role="x"))
    assert reasons(outcome) == [("normalised", "stray_field")] * 2
    assert [f.field for f in outcome.findings] == ["group", "role"]
    assert outcome.quiz is not None


@pytest.mark.parametrize(
    ("options", "correct", "expected_correct"),
    [
        ({"0": "1 m", "1": "2 m", "2": "3 m", "3": "4 m"}, "1", "B"),
        ({"1": "1 m", "2": "2 m", "3": "3 m", "4": "4 m"}, "1", "A"),
        ({"0": "1 m", "1": "2 m", "2": "3 m", "3": "4 m"}, "D", "D"),
        ({"0": "1 m", "1": "2 m", "2": "3 m", "3": "4 m"}, 2, "C"),
    ],
)
def test_digit_keys_in_order_become_letters(options, correct, expected_correct):
    outcome = normalise_quiz(quiz(options=options, correct_option=correct))
    assert outcome.quiz.options == OPTIONS
    assert outcome.quiz.correct_option == expected_correct
    assert ("normalised", "option_key_by_position") in reasons(outcome)


def test_single_key_in_a_missing_letters_place():
    outcome = normalise_quiz(
        quiz(options={"A": "1 m", "0": "2 m", "C": "3 m", "D": "4 m"}, correct_option="B")
    )
    assert outcome.quiz.options == OPTIONS and outcome.quiz.correct_option == "B"
    assert reasons(outcome) == [("normalised", "option_key_by_position")]


@pytest.mark.parametrize("key", ["|C", "&C", "c", "(C)", " C "])
def test_letter_behind_punctuation(key):
    outcome = normalise_quiz(quiz(options={"A": "1 m", "B": "2 m", key: "3 m", "D": "4 m"}))
    assert outcome.quiz.options == OPTIONS
    assert reasons(outcome) == [("normalised", "option_key_cleaned")]


def test_swapped_key_and_text():
    outcome = normalise_quiz(
        quiz(options={"A": "1 m", "B": "2 m", "C": "3 m", "4 m": "D"}, correct_option="D")
    )
    assert outcome.quiz.options == OPTIONS and outcome.quiz.correct_option == "D"
    assert reasons(outcome) == [("normalised", "option_key_text_swapped")]


def test_unmappable_keys_drop_the_quiz():
    # "0" sits in A's place but A is present: no rule maps it
    outcome = normalise_quiz(quiz(options={"0": "1 m", "A": "2 m", "C": "3 m", "D": "4 m"}))
    assert outcome.quiz is None
    assert reasons(outcome) == [("dropped", "unmappable_option_keys")]
    assert "'0'" in outcome.findings[0].detail


def test_unit_string_key_out_of_place_is_dropped():
    outcome = normalise_quiz(quiz(options={"A": "1 m", "B": "2 m", "D": "4 m", "cm": "3 m"}))
    assert outcome.quiz is None and reasons(outcome) == [("dropped", "unmappable_option_keys")]


@pytest.mark.parametrize(
    ("correct", "expected"),
    [("b", "B"), ("(B)", "B"), ("Option B", "B"), ("B.", "B"), ("2 m", "B"), (" 3 M ", "C")],
)
def test_correct_option_read_loosely(correct, expected):
    outcome = normalise_quiz(quiz(correct_option=correct))
    assert outcome.quiz.correct_option == expected
    assert reasons(outcome) == [("normalised", "correct_option_resolved")]


def test_correct_option_exact_text_wins_over_case_insensitive():
    options = {"A": "m", "B": "M", "C": "a", "D": "θ"}
    assert normalise_quiz(quiz(options=options, correct_option="M")).quiz.correct_option == "B"


def test_letter_and_text_readings_disagree_drops():
    options = {"A": "b", "B": "x", "C": "y", "D": "z"}
    outcome = normalise_quiz(quiz(options=options, correct_option="b"))
    assert outcome.quiz is None and reasons(outcome) == [("dropped", "ambiguous_correct_option")]


def test_correct_option_unknown_drops():
    outcome = normalise_quiz(quiz(correct_option="E"))
    assert outcome.quiz is None and reasons(outcome) == [("dropped", "correct_option_unknown")]
    assert "'E'" in outcome.findings[0].detail
    assert reasons(normalise_quiz(quiz(correct_option=...))) == [("dropped", "correct_option_unknown")]


def test_correct_text_shared_by_two_options_drops():
    outcome = normalise_quiz(quiz(options={"A": "1 m", "B": "2 m", "C": "2 m", "D": "4 m"}))
    assert outcome.quiz is None and reasons(outcome) == [("dropped", "ambiguous_correct_option")]


def test_five_options_kept_and_noted():
    options = {**OPTIONS, "E": "5 m"}
    outcome = normalise_quiz(quiz(options=options))
    assert outcome.quiz.options == options and reasons(outcome) == [("noted", "option_count")]


def test_options_as_list():
    outcome = normalise_quiz(quiz(options=["1 m", "2 m", "3 m", "4 m"], correct_option="C"))
    assert outcome.quiz.options == OPTIONS and outcome.quiz.correct_option == "C"
    assert reasons(outcome) == [("normalised", "options_as_list")]


def test_numeric_option_text_becomes_text():
    outcome = normalise_quiz(quiz(options={"A": 1, "B": 2.5, "C": "3", "D": "4"}, correct_option="B"))
    assert outcome.quiz.options == {"A": "1", "B": "2.5", "C": "3", "D": "4"}
    assert reasons(outcome) == [("normalised", "option_text_not_string")] * 2


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not a quiz", "quiz_not_object"),
        (quiz(question=...), "missing_quiz_question"),
        (quiz(question="  "), "missing_quiz_question"),
        (quiz(options=...), "invalid_options"),
        (quiz(options={"A": "only"}, correct_option="A"), "too_few_options"),
        (quiz(options={"A": "1 m", "B": None, "C": "3", "D": "4"}), "invalid_option_text"),
    ],
)
def test_unusable_quizzes_are_dropped(raw, reason):
    outcome = normalise_quiz(raw)
    assert outcome.quiz is None and reasons(outcome)[-1] == ("dropped", reason)


def test_missing_evidence_is_noted():
    outcome = normalise_quiz(quiz(evidence_snippet=...))
    assert outcome.quiz.evidence_snippet == "" and reasons(outcome) == [("noted", "missing_evidence")]


def test_several_findings_on_one_quiz():
    raw = quiz(options={"A": "1 m", "0": "2 m", "|C": "3 m", "D": "4 m"}, correct_option="0", role="r")
    outcome = normalise_quiz(raw)
    assert outcome.quiz.options == OPTIONS and outcome.quiz.correct_option == "B"
    assert reasons(outcome) == [
        ("normalised", "stray_field"),
        ("normalised", "option_key_cleaned"),
        ("normalised", "option_key_by_position"),
        ("normalised", "correct_option_followed_key"),
    ]
