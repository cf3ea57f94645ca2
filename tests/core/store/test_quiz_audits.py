"""Quiz audits and quiz provenance through the Store facade."""

from __future__ import annotations

from core.problems.models import Problem
from core.store import Store
from core.store.quiz_audits import QuizAuditRow, QuizGenerationRow, options_json


def _audit(problem: Problem, index: int, *, model: str = "blind", flagged: bool = True) -> QuizAuditRow:
    quiz = problem.quizzes[index]
    return QuizAuditRow(
        problem_uid=problem.uid, quiz_index=index, model=model, question=quiz.question,
        options_json=options_json(quiz.options), correct_option=quiz.correct_option, shuffles=3,
        n_correct=3 if flagged else 1, n_errors=0, flagged=flagged, seeds=[0, 1, 2], answers_json="[]",
        prompt="blind_quiz@v1",
    )


def test_saved_audits_are_read_back_and_flags_become_keys(store: Store, make_problem) -> None:
    problem = make_problem("p1")
    store.upsert_problems([problem])
    assert store.save_quiz_audits([_audit(problem, 0), _audit(problem, 1, flagged=False)]) == 2
    audits = store.quiz_audits(problem_uids=[problem.uid])
    assert audits["quiz_index"].tolist() == [0, 1]
    assert audits["current"].all()
    assert store.quiz_audits(problem_uids=[]).empty
    assert store.flagged_quiz_keys() == {(problem.uid, 0)}
    assert store.flagged_quiz_keys(model="other") == set()
    assert store.flagged_quizzes()["model"].tolist() == ["blind"]


def test_an_audit_of_a_changed_quiz_no_longer_counts(store: Store, make_problem) -> None:
    problem = make_problem("p1")
    store.upsert_problems([problem])
    store.save_quiz_audits([_audit(problem, 0)])
    changed = problem.model_copy(
        update={"quizzes": [problem.quizzes[0].model_copy(update={"question": "Reworded?"}), *problem.quizzes[1:]]}
    )
    store.upsert_problems([changed])
    assert store.flagged_quiz_keys() == set()
    assert store.quiz_audits().empty
    assert len(store.quiz_audits(current_only=False)) == 1


def test_an_empty_batch_writes_nothing_and_keeps_the_data_version(store: Store) -> None:
    version = store.data_version()
    assert store.save_quiz_audits([]) == 0
    assert store.record_quiz_generations([]) == 0
    assert store.data_version() == version


def test_quiz_generations_round_trip(store: Store, make_problem) -> None:
    problem = make_problem("p1")
    store.upsert_problems([problem])
    row = QuizGenerationRow(problem_uid=problem.uid, model="writer", prompt="quizgen@v1", n_quizzes=3,
                            n_elements=4, attempts=2, issues=["too long"], cost_usd=0.01)
    assert store.record_quiz_generations([row]) == 1
    stored = store.quiz_generations()
    assert stored["problem_uid"].tolist() == [problem.uid]
    assert stored["issues_json"].tolist() == ['["too long"]']
