"""Figure tables, clustered bootstrap aggregates, paired comparison and tie groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.evaluation import stats
from core.evaluation.stats import (
    UNTYPED_IMAGE_TYPE,
    aggregate_figures,
    aggregates_frame,
    build_figure_table,
    cluster_bootstrap,
    paired_difference,
    tie_group,
)
from core.problems.models import Problem, Quiz
from core.store import Aggregate, Run, Store
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, MetricValueRow, QuizAnswerRow
from core.store.generations import GenerationRow

CIRCUIT = "Physics - Circuit"
PLANE = "Math - Plane Geometric"


def make_table(
    outcomes: dict[str, list[bool | None]],
    *,
    subject: dict[str, str] | None = None,
    image_type: dict[str, str | None] | None = None,
    failed: set[str] = frozenset(),
    metrics: dict[str, dict[str, float | None]] | None = None,
) -> pd.DataFrame:
    """A figure table from uid -> quiz outcomes (None = no answer row for that quiz)."""
    figures = pd.DataFrame(
        {
            "problem_uid": list(outcomes),
            "subject": [(subject or {}).get(uid, "Physics") for uid in outcomes],
            "image_type": [(image_type or {}).get(uid, CIRCUIT) for uid in outcomes],
            "n_quizzes": [len(v) for v in outcomes.values()],
            "status": ["failed" if uid in failed else "ok" for uid in outcomes],
        }
    )
    answers = pd.DataFrame(
        [
            (uid, index, correct)
            for uid, values in outcomes.items()
            for index, correct in enumerate(values)
            if correct is not None
        ],
        columns=["problem_uid", "quiz_index", "correct"],
    )
    values = pd.DataFrame(
        [(uid, name, value) for name, by_uid in (metrics or {}).items() for uid, value in by_uid.items()],
        columns=["problem_uid", "metric", "value"],
    )
    return build_figure_table(figures, answers, metric_values=values)


def overall(aggregates: list[Aggregate], metric: str) -> Aggregate:
    return next(a for a in aggregates if a.metric == metric and a.scope == "overall")


def width(aggregate: Aggregate | stats.BootstrapInterval) -> float:
    return aggregate.ci_high - aggregate.ci_low


# ------------------------------------------------------------------------------------------------
# definitions


def test_rinv_counts_missing_images_as_failed_and_reports_the_other_convention():
    table = make_table(
        {
            "s:1": [True, True, True],  # all correct
            "s:2": [True, False, True],  # one wrong
            "s:3": [True, True],  # all correct
            "s:4": [True, True],  # failed to render: answers recorded anyway do not count
            "s:5": [None, None],  # rendered, but no answer was had
            "s:6": [True, None],  # one quiz unanswered: not all correct, not missing
        },
        failed={"s:4"},
    )
    row = table.set_index("problem_uid")
    assert row.loc["s:4", "n_answered"] == 0 and not row.loc["s:4", "all_correct"]
    assert row["missing"].to_dict() == {f"s:{i}": i in (4, 5) for i in range(1, 7)}
    aggregates = aggregate_figures(table, scopes=("overall",), n_resamples=200)
    assert overall(aggregates, "rinv").value == pytest.approx(100 * 2 / 6)
    assert overall(aggregates, "rinv").n == 6
    assert overall(aggregates, "n_missing").value == 2
    assert overall(aggregates, "n_missing").ci_low is None
    excluding = overall(aggregates, "rinv_excluding_missing")
    assert excluding.value == pytest.approx(100 * 2 / 4) and excluding.n == 4
    # quiz accuracy: unanswered quizzes are wrong; the denominator is every quiz
    quiz = overall(aggregates, "quiz_acc")
    assert quiz.n == 14 and quiz.value == pytest.approx(100 * (3 + 2 + 2 + 1) / 14)


def test_abstentions_and_errors():
    figures = pd.DataFrame(
        {"problem_uid": ["a", "b"], "subject": "Math", "image_type": PLANE, "n_quizzes": 2, "status": "ok"}
    )
    answers = pd.DataFrame(
        {
            "problem_uid": ["a", "a", "b", "b"],
            "quiz_index": [0, 1, 0, 1],
            "correct": [True, False, False, False],
            "abstained": [False, True, False, False],
            "error_class": [None, None, "model_failed", "model_failed"],
        }
    )
    table = build_figure_table(figures, answers).set_index("problem_uid")
    assert (
        table.loc["a", "n_answered"] == 2 and table.loc["a", "n_correct"] == 1
    )  # abstained = answered, wrong
    assert table.loc["b", "n_answered"] == 0 and table.loc["b", "missing"]  # errors are no answers


def test_problems_without_quizzes_take_no_part_in_quiz_metrics():
    table = make_table({"s:1": [True], "s:2": []}, metrics={"psnr": {"s:1": 10.0, "s:2": 20.0}})
    aggregates = aggregate_figures(table, scopes=("overall",), n_resamples=100)
    assert overall(aggregates, "rinv").n == 1 and overall(aggregates, "rinv").value == 100
    assert overall(aggregates, "psnr").n == 2 and overall(aggregates, "psnr").value == 15


def test_per_figure_metrics_average_judges_and_use_every_stored_value():
    figures = pd.DataFrame(
        {
            "problem_uid": ["a", "b", "c"],
            "subject": "Math",
            "image_type": PLANE,
            "n_quizzes": 0,
            "status": "ok",
        }
    )
    judges = pd.DataFrame(
        {
            "problem_uid": ["a", "a", "b", "b", "c"],
            "judge": ["j1", "j2", "j1", "j2", "j1"],
            "dimension": "judge_cf",
            "score": [2, 1, 0, None, None],
        }
    )
    values = pd.DataFrame(
        {
            "problem_uid": ["a", "b", "c"],
            "metric": "clip",
            "value": [30.0, None, 0.0],  # a failed figure counted as 0 by its evaluator
            "status": ["ok", "unavailable", "failed"],
        }
    )
    table = build_figure_table(figures, judge_scores=judges, metric_values=values)
    assert table["judge_cf"].tolist()[:2] == [1.5, 0.0] and np.isnan(table["judge_cf"].iloc[2])
    aggregates = aggregate_figures(table, scopes=("overall",), n_resamples=100)
    assert [a.metric for a in aggregates] == ["judge_cf", "clip"]  # no quizzes: no quiz metrics
    assert overall(aggregates, "judge_cf").value == 0.75 and overall(aggregates, "judge_cf").n == 2
    assert overall(aggregates, "clip").value == 15.0 and overall(aggregates, "clip").n == 2


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        (
            {"quiz_answers": pd.DataFrame({"problem_uid": ["zz"], "quiz_index": [0], "correct": [True]})},
            "quiz_answers table names 1 problem(s) not among the run's figures: zz",
        ),
        (
            {
                "quiz_answers": pd.DataFrame(
                    {"problem_uid": ["a", "a"], "quiz_index": [0, 0], "correct": [True] * 2}
                )
            },
            "answers quiz 0 of a more than once",
        ),
        (
            {"quiz_answers": pd.DataFrame({"problem_uid": ["a"], "quiz_index": [5], "correct": [True]})},
            "field 'quiz_index' 5 of a is outside its 2 quizzes",
        ),
        (
            {"quiz_answers": pd.DataFrame({"problem_uid": ["a"], "correct": [True]})},
            "quiz_answers table lacks column(s) ['quiz_index']",
        ),
        (
            {"metric_values": pd.DataFrame({"problem_uid": ["a"], "metric": ["rinv"], "value": [1.0]})},
            "reserved or judge name(s) ['rinv']",
        ),
    ],
)
def test_bad_tables_are_refused_with_the_table_and_field(tables, message):
    figures = pd.DataFrame(
        {"problem_uid": ["a"], "subject": "Math", "image_type": PLANE, "n_quizzes": 2, "status": "ok"}
    )
    with pytest.raises(ValueError) as excinfo:
        build_figure_table(figures, **tables)
    assert message in str(excinfo.value)


# ------------------------------------------------------------------------------------------------
# the bootstrap


def _random_table(n_problems: int, rate: float, seed: int, n_quizzes: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return make_table({f"s:{i:04d}": list(rng.random(n_quizzes) < rate) for i in range(n_problems)})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_intervals_contain_the_point_estimate(seed):
    table = _random_table(80, 0.7, seed)
    for aggregate in aggregate_figures(table, n_resamples=500, seed=seed):
        if aggregate.metric != "n_missing":
            assert aggregate.ci_low <= aggregate.value <= aggregate.ci_high, aggregate


def test_intervals_shrink_with_more_problems():
    small = overall(aggregate_figures(_random_table(20, 0.7, 4), scopes=("overall",)), "quiz_acc")
    large = overall(aggregate_figures(_random_table(500, 0.7, 4), scopes=("overall",)), "quiz_acc")
    assert width(large) < width(small) / 3  # sqrt(500/20) = 5 in theory


def test_clustering_widens_the_interval_when_quizzes_of_an_image_move_together():
    # 60 images x 5 quizzes; an image's quizzes are all right or all wrong (perfectly correlated).
    outcomes = {f"s:{i:02d}": [i < 36] * 5 for i in range(60)}
    clustered = overall(aggregate_figures(make_table(outcomes), scopes=("overall",)), "quiz_acc")
    quizzes = [float(v) for values in outcomes.values() for v in values]
    naive = cluster_bootstrap(quizzes)  # one cluster per quiz: the iid bootstrap
    assert clustered.value == pytest.approx(100 * naive.value) == pytest.approx(60.0)
    ratio = width(clustered) / (100 * width(naive))
    assert ratio > 1.8  # about sqrt(5) = 2.24: 300 quizzes carry the information of 60 images
    # and with independent quizzes the two agree
    rng = np.random.default_rng(0)
    independent = {f"s:{i:02d}": list(rng.random(5) < 0.6) for i in range(60)}
    clustered = overall(aggregate_figures(make_table(independent), scopes=("overall",)), "quiz_acc")
    naive = cluster_bootstrap([float(v) for values in independent.values() for v in values])
    assert 0.75 < width(clustered) / (100 * width(naive)) < 1.3


def test_bootstrap_is_deterministic_and_independent_of_row_order():
    rng = np.random.default_rng(5)
    outcomes = {f"s:{i:02d}": list(rng.random(4) < 0.6) for i in range(50)}
    table = make_table(outcomes, metrics={"psnr": {uid: float(rng.normal(12, 2)) for uid in outcomes}})
    first = aggregate_figures(table, seed=7, n_resamples=300)
    shuffled = table.sample(frac=1, random_state=3)
    assert aggregate_figures(shuffled, seed=7, n_resamples=300) == first
    other = aggregate_figures(table, seed=8, n_resamples=300)
    assert [a.value for a in other] == [a.value for a in first]
    assert overall(other, "psnr").ci_low != overall(first, "psnr").ci_low  # the seed is used


def test_cluster_bootstrap_ratio_and_degenerate_inputs():
    result = cluster_bootstrap([1, 2, 3], [2, 4, 6], n_resamples=200)
    assert result.value == pytest.approx(0.5) and result.n_clusters == 3
    single = cluster_bootstrap([3.0], n_resamples=50)
    assert (single.value, single.ci_low, single.ci_high) == (3.0, 3.0, 3.0)
    with pytest.raises(ValueError, match="sum to 0"):
        cluster_bootstrap([0.0], [0.0])


# ------------------------------------------------------------------------------------------------
# scopes


def test_subject_and_image_type_scopes():
    outcomes = {
        "scigen:m1": [True, True],
        "scigen:m2": [False, True],
        "scigen:p1": [True],
        "seephys:1": [True, True],
        "seephys:2": [False],
    }
    subject = {"scigen:m1": "Math", "scigen:m2": "Math"}
    image_type = {"scigen:m1": PLANE, "scigen:m2": PLANE, "seephys:1": None, "seephys:2": None}
    table = make_table(outcomes, subject=subject, image_type=image_type)
    frame = aggregates_frame(aggregate_figures(table, metrics=["rinv"], n_resamples=200))
    rinv = frame[frame["metric"] == "rinv"].set_index(["scope", "scope_value"])
    assert rinv.loc[("overall", ""), "value"] == pytest.approx(60.0)
    assert rinv.loc[("subject", "Math"), "value"] == pytest.approx(50.0)
    # untyped SeePhys items count in their subject ...
    assert rinv.loc[("subject", "Physics"), "value"] == pytest.approx(100 * 2 / 3)
    assert rinv.loc[("subject", "Physics"), "n"] == 3
    # ... and under '(untyped)' in the image_type scope, listed after the taxonomy types
    assert rinv.loc[("image_type", UNTYPED_IMAGE_TYPE), "value"] == pytest.approx(50.0)
    assert rinv.loc[("image_type", CIRCUIT), "n"] == 1
    types = frame.loc[(frame["scope"] == "image_type") & (frame["metric"] == "rinv"), "scope_value"].tolist()
    assert types == [PLANE, CIRCUIT, UNTYPED_IMAGE_TYPE]
    skipped = aggregates_frame(aggregate_figures(table, metrics=["rinv"], untyped_label=None, n_resamples=50))
    assert UNTYPED_IMAGE_TYPE not in set(skipped["scope_value"])
    assert set(skipped.loc[skipped["scope"] == "image_type", "scope_value"]) == {PLANE, CIRCUIT}


def test_scope_interval_is_computed_on_that_scope_only():
    table = make_table(
        {f"s:{i:02d}": [i % 2 == 0] for i in range(40)},
        subject={f"s:{i:02d}": "Math" if i < 20 else "Physics" for i in range(40)},
        image_type={f"s:{i:02d}": PLANE if i < 20 else CIRCUIT for i in range(40)},
    )
    frame = aggregates_frame(aggregate_figures(table, metrics=["quiz_acc"], scopes=("subject",)))
    assert set(frame["scope"]) == {"subject"} and frame["n"].tolist() == [20, 20]
    assert (frame["ci_high"] - frame["ci_low"] > 0).all()


def test_unknown_metric_and_scope():
    table = make_table({"s:1": [True]})
    with pytest.raises(KeyError, match="known: rinv, quiz_acc, rinv_excluding_missing"):
        aggregate_figures(table, metrics=["psnr"])
    with pytest.raises(ValueError, match="unknown scope 'source'"):
        aggregate_figures(table, scopes=("source",))


# ------------------------------------------------------------------------------------------------
# paired comparison


def _difficulty_runs(n: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    """B solves the even problems (50%); A solves those and every 10th odd one more (60%)."""
    run_b = make_table({f"s:{i:03d}": [i % 2 == 0] * 4 for i in range(n)})
    run_a = make_table({f"s:{i:03d}": [i % 2 == 0 or i % 10 == 1] * 4 for i in range(n)})
    return run_a, run_b


def test_paired_difference_recovers_a_known_difference():
    run_a, run_b = _difficulty_runs()
    result = paired_difference(run_a, run_b, "rinv", run_a="A", run_b="B")
    assert (result.value_a, result.value_b) == (pytest.approx(60.0), pytest.approx(50.0))
    assert result.difference == pytest.approx(10.0) and result.n_shared == 200
    assert 0 < result.ci_low < 10 < result.ci_high and result.separable
    # the same comparison from each run's own interval cannot tell them apart: pairing matters
    a = overall(aggregate_figures(run_a, scopes=("overall",)), "rinv")
    b = overall(aggregate_figures(run_b, scopes=("overall",)), "rinv")
    assert a.ci_low < b.ci_high
    reverse = paired_difference(run_b, run_a, "rinv")
    assert reverse.difference == pytest.approx(-10.0) and reverse.ci_high < 0


def test_paired_difference_of_identical_runs_is_exactly_zero():
    table = _random_table(60, 0.5, 9)
    result = paired_difference(table, table.copy(), "quiz_acc")
    assert (result.difference, result.ci_low, result.ci_high) == (0.0, 0.0, 0.0)
    assert not result.separable


def test_paired_difference_uses_shared_problems_only():
    run_a = make_table(
        {"s:1": [True], "s:2": [True], "s:3": [False], "s:9": [True]},
        metrics={"psnr": {"s:1": 12.0, "s:2": 14.0, "s:3": 10.0}},
    )
    run_b = make_table(
        {"s:1": [False], "s:2": [True], "s:3": [False]},
        metrics={"psnr": {"s:1": 10.0, "s:2": None, "s:3": 9.0}},
    )
    rinv = paired_difference(run_a, run_b, "rinv", n_resamples=200)
    assert rinv.n_shared == 3 and rinv.difference == pytest.approx(100 * (2 / 3 - 1 / 3))
    psnr = paired_difference(run_a, run_b, "psnr", n_resamples=200)
    assert psnr.n_shared == 2 and psnr.difference == pytest.approx((12 + 10) / 2 - (10 + 9) / 2)
    other = make_table({"x:1": [True]})
    with pytest.raises(ValueError, match="share no problems"):
        paired_difference(run_a, other, "rinv")


# ------------------------------------------------------------------------------------------------
# tie groups


def test_tie_group_by_paired_bootstrap():
    run_a, run_b = _difficulty_runs()
    # C is within noise of A: it fails where A fails plus a few others, and solves some A fails
    run_c = make_table(
        {f"s:{i:03d}": [(i % 2 == 0 or i % 10 == 1) != (i % 40 in (3, 4))] * 4 for i in range(200)}
    )
    tables = {"A": run_a, "B": run_b, "C": run_c}
    values = {
        name: overall(aggregate_figures(t, scopes=("overall",), metrics=["rinv"]), "rinv")
        for name, t in tables.items()
    }
    runs = pd.DataFrame(
        {
            "run": list(values),
            "value": [v.value for v in values.values()],
            "ci_low": [v.ci_low for v in values.values()],
            "ci_high": [v.ci_high for v in values.values()],
        }
    )
    group = tie_group(runs, "rinv", figure_tables=tables)
    assert group.best == "C" or group.best == "A"
    statuses = {e.run: (e.status, e.method) for e in group.entries}
    assert statuses["B"] == ("separable", "paired_bootstrap")
    assert sorted(group.members) == ["A", "C"]
    # without per-figure data the fallback is interval overlap, which cannot separate B
    fallback = tie_group(runs, "rinv")
    assert {e.run: e.method for e in fallback.entries if e.status != "best"} == {
        name: "interval_overlap" for name in ("A", "B", "C") if name != fallback.best
    }
    assert sorted(fallback.members) == ["A", "B", "C"]


def test_tie_group_by_interval_overlap_and_direction():
    runs = pd.DataFrame(
        {
            "run": ["x", "y", "z"],
            "value": [80.0, 100.0, 130.0],
            "ci_low": [70.0, 85.0, 120.0],
            "ci_high": [90.0, 115.0, 140.0],
        }
    )
    fid = tie_group(runs, "fid")  # lower is better
    assert fid.best == "x" and fid.members == ["x", "y"]
    assert [e.status for e in fid.entries] == ["best", "tied", "separable"]
    higher = tie_group(runs, "my_metric", higher_is_better=True)
    assert higher.best == "z" and higher.members == ["z"]
    with pytest.raises(KeyError, match="pass higher_is_better"):
        tie_group(runs, "my_metric")


def test_no_intervals_no_tie_group():
    runs = pd.DataFrame({"run": ["p", "q", "r"], "value": [30.79, 77.87, None]})
    group = tie_group(runs, "rinv")
    assert group.best == "q" and group.members == []
    assert [(e.run, e.status) for e in group.entries] == [("q", "best"), ("p", "undecided")]
    assert tie_group(runs.iloc[2:], "rinv").best is None


# ------------------------------------------------------------------------------------------------
# from the store


def _problem(pid: str, n_quizzes: int, subject: str = "Physics", image_type: str | None = CIRCUIT) -> Problem:
    quizzes = [
        Quiz(question=f"q{i}?", options={"A": "a", "B": "b"}, correct_option="A", evidence_snippet="")
        for i in range(n_quizzes)
    ]
    source = "scigen" if image_type else "seephys"
    return Problem(
        id=pid,
        source=source,
        question=f"problem {pid}",
        subject=subject,
        image_type=image_type,
        quizzes=quizzes,
    )


def test_run_items_from_the_store_feed_aggregates_that_store_back(tmp_path):
    store = Store(tmp_path / "scigen.duckdb")
    store.upsert_problems([_problem("1", 2), _problem("2", 2), _problem("3", 1, image_type=None)])
    store.upsert_run(Run(run_id="gen", name="gen", kind="generation", generator_kind="code"))
    store.upsert_run(Run(run_id="ev", name="ev", kind="evaluation", parent_run_id="gen"))
    store.save_generations(
        "gen",
        [
            GenerationRow(problem_uid="scigen:1", status="ok", attempts=1),
            GenerationRow(problem_uid="scigen:2", status="ok", attempts=1),
            GenerationRow(problem_uid="seephys:3", status="failed", attempts=3),
        ],
    )
    answer = {"answerer": "ocr", "abstained": False}
    store.save_evaluation(
        "ev",
        [
            EvaluationItemRow(problem_uid="scigen:1", status="ok", figure_status="ok"),
            EvaluationItemRow(problem_uid="scigen:2", status="ok", figure_status="ok"),
            EvaluationItemRow(problem_uid="seephys:3", status="no_image", figure_status="failed"),
        ],
        quiz_answers=[
            QuizAnswerRow(**answer, problem_uid="scigen:1", quiz_index=0, correct=True),
            QuizAnswerRow(**answer, problem_uid="scigen:1", quiz_index=1, correct=True),
            QuizAnswerRow(**answer, problem_uid="scigen:2", quiz_index=0, correct=True),
            QuizAnswerRow(**answer, problem_uid="scigen:2", quiz_index=1, correct=False),
        ],
        judge_scores=[JudgeScoreRow(problem_uid="scigen:1", judge="j", dimension="judge_cf", score=2)],
        metric_values=[MetricValueRow(problem_uid="scigen:2", metric="ssim", value=0.5)],
    )
    items = store.run_items("ev")
    assert items.figures_run_id == "gen" and len(items.figures) == 3
    assert items.figures.set_index("problem_uid")["n_quizzes"].to_dict() == {
        "scigen:1": 2,
        "scigen:2": 2,
        "seephys:3": 1,
    }
    table = build_figure_table(**items.frames())
    aggregates = aggregate_figures(table, n_resamples=200)
    assert overall(aggregates, "rinv").value == pytest.approx(100 / 3)
    assert overall(aggregates, "n_missing").value == 1
    assert overall(aggregates, "judge_cf").value == 2 and overall(aggregates, "ssim").value == 0.5
    assert store.upsert_aggregates("ev", aggregates) == len(aggregates)
    stored = store.aggregates(run_id="ev", metric="rinv").set_index(["scope", "scope_value"])
    assert stored.loc[("image_type", UNTYPED_IMAGE_TYPE), "value"] == 0.0
    assert stored.loc[("overall", ""), "ci_high"] == overall(aggregates, "rinv").ci_high
    board = store.leaderboard(kind="evaluation")
    assert board.loc[0, "rinv"] == pytest.approx(100 / 3) and board.loc[0, "rinv_n"] == 3
    assert store.run_items("nope") is None
