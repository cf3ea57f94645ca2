"""Problem and Quiz records."""

import pytest
from pydantic import ValidationError

from core.problems.models import SOURCES, Problem, Quiz, split_uid
from core.problems.taxonomy import Subject

QUIZ = {
    "question": "Which label?",
    "options": {"A": "1 m", "B": "2 m", "C": "3 m", "D": "4 m"},
    "correct_option": "C",
}


def test_quiz_correct_option_must_be_a_key():
    assert Quiz(**QUIZ).correct_option == "C"
    with pytest.raises(ValidationError, match="not among the option keys"):
        Quiz(**{**QUIZ, "correct_option": "E"})


def test_quiz_evidence_defaults_to_empty_and_is_frozen():
    quiz = Quiz(**QUIZ)
    assert quiz.evidence_snippet == ""
    with pytest.raises(ValidationError):
        quiz.question = "changed"


def test_problem_uid_and_split():
    problem = Problem(id="5", source="seephys", question="q", subject=Subject.PHYSICS)
    assert problem.uid == "seephys:5"
    assert split_uid(problem.uid) == ("seephys", "5")
    assert split_uid("custom:a:b") == ("custom", "a:b")
    assert SOURCES == ("scigen", "seephys", "custom")


def test_untyped_physics_problem_is_valid():
    problem = Problem(id="7", source="seephys", question="q", subject="Physics")
    assert problem.image_type is None and problem.subject == Subject.PHYSICS
    assert problem.quizzes == [] and problem.elements == [] and problem.reference_image is None


def test_problem_type_must_match_subject():
    with pytest.raises(ValidationError, match="belongs to Physics"):
        Problem(id="1", source="scigen", question="q", subject="Math", image_type="Physics - Circuit")


def test_problem_rejects_unknown_source_and_subject():
    with pytest.raises(ValidationError):
        Problem(id="1", source="other", question="q", subject="Math")
    with pytest.raises(ValidationError):
        Problem(id="1", source="scigen", question="q", subject="Geology")


def test_problem_round_trips_through_json():
    problem = Problem(
        id="x",
        source="custom",
        question="q",
        subject="Math",
        image_type="Math - Plane Geometric",
        quizzes=[Quiz(**QUIZ)],
        elements=["a"],
    )
    assert Problem.model_validate_json(problem.model_dump_json()) == problem
