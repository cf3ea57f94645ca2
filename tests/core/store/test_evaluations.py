"""Evaluation runs in the store: per-item scores with their finished-item rows, progress, and the
views that merge evaluation numbers into generation runs (leaderboard, per-scope metrics, rows)."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import pytest

from core.store import Aggregate, Run, Store, load_reported_results
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, MetricValueRow, QuizAnswerRow
from core.store.generations import GenerationRow, ModelCallRow

UIDS = ("scigen:p1", "scigen:p2", "scigen:p3")


def call(call_id: str, uid: str, cost: float | None = 0.01) -> ModelCallRow:
    return ModelCallRow(
        call_id=call_id, problem_uid=uid, kind="chat", profile="vision", model="openai/vision", fingerprint="f",
        started_at=datetime.now(UTC), latency_s=0.1, http_attempts=1, cost_usd=cost, ok=True,
    )


def item(uid: str, status: str = "ok") -> EvaluationItemRow:
    return EvaluationItemRow(problem_uid=uid, status=status, figure_status="failed" if status == "no_image" else "ok")


def answers(uid: str, correct: tuple[bool, ...]) -> list[QuizAnswerRow]:
    return [
        QuizAnswerRow(problem_uid=uid, quiz_index=index, answerer="vision", correct=ok, parsed_key="A",
                      presented_keys=["B", "A"], shuffle_seed=7, raw_reply="A")
        for index, ok in enumerate(correct)
    ]


@pytest.fixture
def runs(store: Store, make_problem) -> Store:
    """Problems p1-p3 (p3 a Math problem), generation run 'gen' (p3 failed to render) with its
    own pass@1, and evaluation run 'ev' of it (no rows yet)."""
    store.upsert_problems([
        make_problem("p1"), make_problem("p2"),
        make_problem("p3", subject="Math", image_type="Math - Plane Geometric"),
    ])
    store.upsert_run(Run(run_id="gen", name="gen", kind="generation", generator_kind="code", model="m"))
    store.save_generations("gen", [
        GenerationRow(problem_uid=UIDS[0], status="ok", attempts=1, image_path="images/gen/p1.png"),
        GenerationRow(problem_uid=UIDS[1], status="ok", attempts=1, image_path="images/gen/p2.png"),
        GenerationRow(problem_uid=UIDS[2], status="failed", attempts=2, error_class="runtime_error"),
    ])
    store.upsert_aggregates("gen", [Aggregate(metric="pass_at_1", value=66.7, ci_low=20.0, ci_high=94.0, n=3)])
    store.upsert_run(Run(run_id="ev", name="gen · vqa:vision", kind="evaluation", parent_run_id="gen",
                         spec_name="vqa", generator_kind="code"))
    return store


def test_save_evaluation_stores_items_with_their_rows_and_replaces_them(runs: Store) -> None:
    runs.start_evaluation_progress("ev", total=3, pid=1, host="h")
    runs.save_evaluation(
        "ev",
        [item(UIDS[0]), item(UIDS[2], "no_image")],
        answers(UIDS[0], (True, False, True)),
        [JudgeScoreRow(problem_uid=UIDS[0], judge="j", dimension="judge_cf", score=2, rationale="fine")],
        [MetricValueRow(problem_uid=UIDS[0], metric="psnr", value=math.inf, detail='{"identical": true}'),
         MetricValueRow(problem_uid=UIDS[2], metric="psnr", status="failed", detail="figure failed")],
        [call("c1", UIDS[0]), call("c2", UIDS[0], cost=None)],
    )
    assert runs.evaluation_statuses("ev") == {UIDS[0]: "ok", UIDS[2]: "no_image"}
    stored = runs.quiz_answers("ev")
    assert stored["correct"].tolist() == [True, False, True]
    assert list(stored.iloc[0]["presented_keys"]) == ["B", "A"] and stored.iloc[0]["shuffle_seed"] == 7
    assert runs.judge_scores("ev")["score"].tolist() == [2]
    values = runs.metric_values("ev").set_index("problem_uid")
    assert math.isinf(values.loc[UIDS[0], "value"]) and values.loc[UIDS[2], "status"] == "failed"
    progress = runs.run_progress("ev")
    assert (progress.total, progress.done, progress.ok, progress.failed) == (3, 2, 1, 1)
    assert progress.cost_usd == pytest.approx(0.01)

    # the same item again (a --retry-failed rerun): its rows are replaced, calls appended once
    runs.save_evaluation("ev", [item(UIDS[0], "failed")], answers(UIDS[0], (False,)), (), (),
                         [call("c1", UIDS[0]), call("c3", UIDS[0])])
    assert runs.quiz_answers("ev")["correct"].tolist() == [False]
    assert runs.judge_scores("ev").empty and list(runs.metric_values("ev")["problem_uid"]) == [UIDS[2]]
    assert sorted(runs.model_calls("ev")["call_id"]) == ["c1", "c2", "c3"]
    runs.end_evaluation_progress("ev", state="finished", message="done")
    progress = runs.run_progress("ev")
    assert (progress.state, progress.done, progress.ok, progress.failed) == ("finished", 2, 0, 2)
    assert runs.evaluation_items("ev").set_index("problem_uid").loc[UIDS[0], "status"] == "failed"
    overview = runs.runs_overview("evaluation").iloc[0]  # what `scigen runs` shows
    assert (overview["done"], overview["ok"], overview["failed"], overview["total"]) == (2, 0, 2, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quiz_answers": answers(UIDS[1], (True,))}, "quiz_answers rows given for problems without an evaluation item"),
        ({"quiz_answers": answers(UIDS[0], (True,)) * 2}, r"quiz_answers: key \('scigen:p1', 0\) given twice"),
        ({"metric_values": [MetricValueRow(problem_uid=UIDS[0], metric="ssim", value=1.0)] * 2},
         "metric_values: key"),
    ],
)
def test_save_evaluation_rejects_rows_that_do_not_fit(runs: Store, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        runs.save_evaluation("ev", [item(UIDS[0])], **kwargs)
    assert runs.evaluation_statuses("ev") == {}  # nothing of the batch was stored
    with pytest.raises(ValueError, match="no run 'nope'"):
        runs.save_evaluation("nope", [item(UIDS[0])])


def test_delete_run_and_replace_aggregates(runs: Store) -> None:
    runs.save_evaluation("ev", [item(UIDS[0])], answers(UIDS[0], (True,)))
    runs.upsert_aggregates("ev", [Aggregate(metric="rinv", value=1.0), Aggregate(metric="quiz_acc", value=2.0)])
    assert runs.replace_aggregates("ev", [Aggregate(metric="rinv", value=3.0)]) == 1
    assert runs.aggregates(run_id="ev")[["metric", "value"]].values.tolist() == [["rinv", 3.0]]
    assert runs.delete_run("ev")
    assert runs.evaluation_statuses("ev") == {} and runs.quiz_answers("ev").empty


def _evaluation(store: Store, run_id: str, name: str, parent: str = "gen") -> None:
    store.upsert_run(Run(run_id=run_id, name=name, kind="evaluation", parent_run_id=parent, generator_kind="code"))
    time.sleep(0.002)  # distinct created_at: "most recent" is decided by it


def test_leaderboard_rows_are_generation_runs_with_evaluation_numbers_merged(runs: Store) -> None:
    runs.upsert_reported_results(load_reported_results())
    runs.upsert_aggregates("ev", [
        Aggregate(metric="rinv", value=40.0, ci_low=10.0, ci_high=70.0, n=3),
        Aggregate(metric="rinv", scope="subject", scope_value="Physics", value=50.0, n=2),
        Aggregate(metric="pass_at_1", value=1.0),  # the generation run's own number wins
    ])
    _evaluation(runs, "ev-ssim", "gen · ssim")
    runs.upsert_aggregates("ev-ssim", [Aggregate(metric="ssim", value=0.8, ci_low=0.7, ci_high=0.9, n=2)])
    _evaluation(runs, "ev-ocr", "gen · ocr")  # newer than 'ev': its rinv wins, in every scope
    runs.upsert_aggregates("ev-ocr", [
        Aggregate(metric="rinv", value=20.0, ci_low=5.0, ci_high=35.0, n=3),
        Aggregate(metric="rinv", scope="subject", scope_value="Math", value=0.0, n=1),
    ])
    runs.upsert_run(Run(run_id="orphan", name="lost · ocr", kind="evaluation", parent_run_id="deleted"))
    runs.upsert_aggregates("orphan", [Aggregate(metric="rinv", value=90.0)])

    board = runs.leaderboard()
    assert set(board["kind"]) == {"reported", "generation", "evaluation"}
    assert len(board) == 11 + 2  # reported runs, 'gen', and the orphan evaluation run
    row = board.set_index("run_id").loc["gen"]
    assert (row["rinv"], row["rinv_ci_low"], row["rinv_ci_high"], row["rinv_n"]) == (20.0, 5.0, 35.0, 3)
    assert row["ssim"] == 0.8 and row["pass_at_1"] == 66.7 and row["pass_at_1_ci_low"] == 20.0
    assert row["evaluated_by"] == "ssim, ocr"  # ev's only metric left (rinv) was taken by the newer ocr
    assert list(board.columns[:11]) == [
        "run_id", "name", "kind", "generator_kind", "access", "model", "provenance", "created_at",
        "spec_name", "spec_json", "evaluated_by",
    ]
    assert board.set_index("run_id").loc["orphan", "rinv"] == 90.0
    assert board["name"].iloc[0] == "lost · ocr"  # sorted by rinv, best first

    measured = runs.leaderboard(kind="generation")
    assert measured["run_id"].tolist() == ["gen"] and measured["rinv"].tolist() == [20.0]
    evaluations = runs.leaderboard(kind="evaluation").set_index("run_id")
    assert set(evaluations.index) == {"ev", "ev-ssim", "ev-ocr", "orphan"}
    assert evaluations.loc["ev", "rinv"] == 40.0  # each evaluation run with its own numbers
    assert len(runs.leaderboard(kind="reported")) == 11

    scoped = runs.scoped_metrics("rinv", "subject")
    assert scoped[["run_id", "name", "scope_value", "value", "source_run_id"]].values.tolist() == [
        ["gen", "gen", "Math", 0.0, "ev-ocr"],
    ]
    assert scoped["generator_kind"].tolist() == ["code"] and scoped["n"].tolist() == [1]
    assert set(runs.scoped_metrics(scope="overall")["metric"]) == {"rinv", "ssim", "pass_at_1"}
    with pytest.raises(ValueError, match="unknown scope"):
        runs.scoped_metrics("rinv", "planet")


def test_run_items_of_a_generation_run_come_from_its_evaluation_runs(runs: Store) -> None:
    assert runs.run_items("gen").quiz_answers.empty  # no evaluation rows yet: the plain figures
    runs.save_evaluation("ev", [item(UIDS[0]), item(UIDS[1])], answers(UIDS[0], (True, True, True))
                         + answers(UIDS[1], (True, False, True)))
    _evaluation(runs, "ev-ssim", "gen · ssim")
    runs.save_evaluation("ev-ssim", [item(UIDS[0]), item(UIDS[1])], (), (),
                         [MetricValueRow(problem_uid=u, metric="ssim", value=0.5) for u in UIDS[:2]])
    items = runs.run_items("gen")
    assert items.run_id == items.figures_run_id == "gen"
    assert items.figures["problem_uid"].tolist() == list(UIDS[:2])  # what the evaluations covered
    assert len(items.quiz_answers) == 6 and items.metric_values["metric"].tolist() == ["ssim", "ssim"]
    assert runs.run_items("ev").figures_run_id == "gen" and len(runs.run_items("ev").figures) == 3

    listing = runs.evaluation_runs("gen")
    assert listing["name"].tolist() == ["gen · vqa:vision", "gen · ssim"]
    assert listing["parent_name"].tolist() == ["gen", "gen"] and listing["items"].tolist() == [2, 2]
    assert runs.evaluation_runs("other").empty


def test_quiz_answer_counts_sum_a_generation_runs_evaluation_runs(runs: Store) -> None:
    assert runs.quiz_answer_counts() == {}  # 'ev' holds no answers yet
    runs.save_evaluation("ev", [item(UIDS[0])], answers(UIDS[0], (True, False, True)))
    _evaluation(runs, "ev2", "gen · vqa:other")
    runs.save_evaluation("ev2", [item(UIDS[1])], answers(UIDS[1], (True, True)))
    _evaluation(runs, "ev-ssim", "gen · ssim")
    runs.save_evaluation("ev-ssim", [item(UIDS[0])], (), (), [MetricValueRow(problem_uid=UIDS[0], metric="ssim", value=0.5)])

    assert runs.quiz_answer_counts() == {"gen": 5}
