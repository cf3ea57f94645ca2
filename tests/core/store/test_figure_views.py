"""The figure pages' read-only queries (core/store/figure_views.py) over real generation and
evaluation runs (see tests/dashboard/figure_workspaces.py)."""

from __future__ import annotations

import pytest

from core.store import Store
from core.workspace import Workspace
from tests.dashboard import figure_workspaces as fw


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    return Store.open(Workspace.from_env(fw.figure_workspace(tmp_path_factory.mktemp("figures"))))


@pytest.fixture(scope="module")
def run_ids(store) -> dict[str, str]:
    runs = store.list_runs(kind="generation")
    return dict(zip(runs["name"], runs["run_id"], strict=True))


def test_outcomes_join_problems_quiz_answers_and_judge(store, run_ids) -> None:
    gold = store.figure_outcomes([run_ids[fw.GOLD_RUN]])
    assert list(gold["problem_uid"]) == [*fw.SAMPLE_UIDS, fw.SEEPHYS_UID]  # store order: source, then id
    by_uid = gold.set_index("problem_uid")
    failed = by_uid.loc[fw.SEEPHYS_UID]
    assert failed["status"] == "failed" and failed["error_class"] == "no_reference"
    assert failed["n_answered"] == 1 and failed["n_correct"] == 0  # a missing image answers nothing right
    assert failed["judge_mean"] == 0.0
    rendered = by_uid.loc[fw.SAMPLE_UIDS[2]]
    assert rendered["n_quizzes"] == rendered["n_answered"] == 4 and rendered["image_path"].endswith(".png")
    expected_mean = sum(fw.JUDGE_REPLY_SCORES.values()) / len(fw.JUDGE_REPLY_SCORES)
    assert rendered["judge_mean"] == pytest.approx(expected_mean)
    assert rendered["quiz_run_id"] != rendered["judge_run_id"]  # each from its own evaluation run
    assert gold["subject"].notna().all()


def test_outcome_filters_and_counts_agree(store, run_ids) -> None:
    both = [run_ids[fw.GOLD_RUN], run_ids[fw.CARD_RUN]]
    frame = store.figure_outcomes(both)
    assert len(frame) == 2 * len(fw.FIGURE_UIDS) == store.count_figure_outcomes(both)
    assert list(frame["run_id"].iloc[:2]) == both  # runs in the order given within a problem
    for quiz in ("passed", "failed", "unanswered"):
        part = store.figure_outcomes(both, quiz=quiz)
        assert len(part) == store.count_figure_outcomes(both, quiz=quiz)
    passed = store.figure_outcomes(both, quiz="passed")
    failed = store.figure_outcomes(both, quiz="failed")
    assert len(passed) + len(failed) == len(frame)  # every figure of these runs was answered
    assert (passed["n_correct"] == passed["n_answered"]).all()
    assert (failed["n_correct"] < failed["n_answered"]).all()
    physics = store.figure_outcomes(both, subject="Physics", status="ok")
    assert set(physics["subject"]) == {"Physics"} and set(physics["status"]) == {"ok"}
    assert fw.SEEPHYS_UID in set(physics["problem_uid"])  # card drew the untyped item
    page = store.figure_outcomes(both, limit=3, offset=3)
    assert list(page["problem_uid"]) == list(frame["problem_uid"].iloc[3:6])
    with pytest.raises(ValueError, match="unknown quiz verdict"):
        store.figure_outcomes(both, quiz="maybe")


def test_error_class_filter_covers_attempts(store, run_ids) -> None:
    coder = run_ids[fw.CODER_RUN]
    assert store.figure_error_classes(coder) == {fw.CODER_ERROR: 2}  # repaired one met it too
    met = store.figure_outcomes([coder], error_class=fw.CODER_ERROR)
    assert set(met["problem_uid"]) == {fw.REPAIRED_UID, fw.BROKEN_UID}
    assert store.figure_outcomes([coder], error_class=fw.CODER_ERROR, status="failed")["problem_uid"].tolist() == [
        fw.BROKEN_UID
    ]
    assert store.figure_outcomes([coder])["n_answered"].isna().all()  # never evaluated
    assert store.figure_error_classes(run_ids[fw.GOLD_RUN]) == {"no_reference": 1}


def test_per_figure_readers_span_every_evaluation_run(store, run_ids) -> None:
    gold = run_ids[fw.GOLD_RUN]
    uid = fw.SAMPLE_UIDS[2]
    record = store.figure(gold, uid)
    assert record is not None and record["status"] == "ok" and record["code"] and record["facts_json"]
    assert record["error_class"] is None
    assert store.figure(gold, "custom:no-such") is None
    answers = store.figure_quiz_answers(gold, uid)
    assert list(answers["quiz_index"]) == [0, 1, 2, 3] and set(answers["evaluation"]) == {"gold · ocr"}
    assert answers["raw_reply"].notna().all() and set(answers["answerer"]) == {"ocr"}
    scores = store.figure_judge_scores(gold, uid)
    assert len(scores) == 5 and set(scores["judge"]) == {fw.JUDGE_NAME} and scores["rationale"].notna().all()
    values = store.figure_metric_values(gold, uid)
    assert {"ocr_answer_rate", "ff_coverage", "ff_overlaps"} <= set(values["metric"])
    assert set(values["evaluator"]) == {"ocr", "figure-facts"}
    assert store.figure_quiz_answers(run_ids[fw.CODER_RUN], uid).empty
