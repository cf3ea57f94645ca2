"""``scigen leaderboard`` and ``scigen correlate`` through the entry point a user calls."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from scipy import stats

from core.evaluation.stats import aggregate_figures, build_figure_table
from core.problems.models import Problem, Quiz
from core.store import Run, Store, load_reported_results
from core.store.evaluations import EvaluationItemRow, QuizAnswerRow
from core.store.generations import GenerationRow
from core.workspace import Workspace

PLANE = "Math - Plane Geometric"
CIRCUIT = "Physics - Circuit"
N_PROBLEMS = 40
# run name -> (generator kind, which problems (by index) have all quizzes right, failed renders)
MEASURED = {
    "alpha": ("code", lambda i: i % 10 != 0, set()),  # 90%
    "beta": ("code", lambda i: i % 10 not in (1, 2), set()),  # 80%, within noise of alpha
    "gamma": ("pixel", lambda i: i % 5 == 0 and i != 35, {35}),  # 17.5%, one failed render
}


@pytest.fixture
def scigen(scigen_with, tmp_path):
    return scigen_with("core.cli.analysis_cmd", tmp_path / "home")


def _problem(index: int) -> Problem:
    quizzes = [Quiz(question=f"q{k}?", options={"A": "x", "B": "y"}, correct_option="A") for k in range(3)]
    if index < 20:
        return Problem(
            id=str(index), source="scigen", question="q", subject="Math", image_type=PLANE, quizzes=quizzes
        )
    if index < 35:
        return Problem(
            id=str(index),
            source="scigen",
            question="q",
            subject="Physics",
            image_type=CIRCUIT,
            quizzes=quizzes,
        )
    return Problem(id=str(index), source="seephys", question="q", subject="Physics", quizzes=quizzes)


def seed_measured(store: Store) -> None:
    """Three generation runs, each with one evaluation run holding per-figure answers (stored as
    the evaluation job stores them) and its aggregates."""
    problems = [_problem(i) for i in range(N_PROBLEMS)]
    store.upsert_problems(problems)
    for name, (kind, solved, failed) in MEASURED.items():
        store.upsert_run(Run(run_id=f"gen-{name}", name=name, kind="generation", generator_kind=kind))
        store.upsert_run(
            Run(
                run_id=f"ev-{name}",
                name=name,
                kind="evaluation",
                generator_kind=kind,
                parent_run_id=f"gen-{name}",
            )
        )
        store.save_generations(
            f"gen-{name}",
            [
                GenerationRow(problem_uid=p.uid, status="failed" if i in failed else "ok", attempts=1)
                for i, p in enumerate(problems)
            ],
        )
        store.save_evaluation(
            f"ev-{name}",
            [
                EvaluationItemRow(
                    problem_uid=p.uid,
                    status="no_image" if i in failed else "ok",
                    figure_status="failed" if i in failed else "ok",
                )
                for i, p in enumerate(problems)
            ],
            [
                QuizAnswerRow(
                    problem_uid=p.uid, quiz_index=k, answerer="ocr", correct=bool(solved(i)) or k > 0
                )
                for i, p in enumerate(problems)
                if i not in failed
                for k in range(3)
            ],
        )
        table = build_figure_table(**store.run_items(f"ev-{name}").frames())
        store.upsert_aggregates(f"ev-{name}", aggregate_figures(table))


@pytest.fixture(scope="module")
def seeded_home(tmp_path_factory):
    """The paper's reported runs plus three measured runs; the verbs only read it."""
    home = tmp_path_factory.mktemp("seeded") / "home"
    store = Store.open(Workspace.from_env(home))
    store.upsert_reported_results(load_reported_results())
    seed_measured(store)
    return home


@pytest.fixture
def seeded(scigen_with, seeded_home):
    return scigen_with("core.cli.analysis_cmd", seeded_home)


def test_help(scigen, capsys):
    for verb, flag in (("leaderboard", "--reported"), ("correlate", "pearson_r")):
        with pytest.raises(SystemExit) as excinfo:
            scigen(verb, "--help")
        assert excinfo.value.code == 0
        assert flag in capsys.readouterr().out


def test_empty_store(scigen):
    status, out, _ = scigen("leaderboard")
    assert status == 0 and "no runs with numbers in the store" in out
    status, out, _ = scigen("leaderboard", "--format", "json")
    assert status == 0 and json.loads(out) == []


def test_measured_leaderboard_ranks_with_intervals_and_paired_ties(seeded):
    status, out, err = seeded("leaderboard", "--measured", "--format", "json")
    assert status == 0, err
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["alpha", "beta", "gamma"]
    assert [r["rank"] for r in rows] == [1, 2, 3] and {r["origin"] for r in rows} == {"measured"}
    # measured rows are the generation runs, with their evaluation runs' numbers merged in
    assert [r["run_id"] for r in rows] == ["gen-alpha", "gen-beta", "gen-gamma"]
    assert {r["kind"] for r in rows} == {"generation"}
    assert [r["rinv"] for r in rows] == pytest.approx([90.0, 80.0, 17.5])
    assert all(r["rinv_ci_low"] <= r["rinv"] <= r["rinv_ci_high"] for r in rows)
    assert [r["rinv_n"] for r in rows] == [40, 40, 40]
    assert [r["n_missing"] for r in rows] == [0, 0, 1]
    assert rows[2]["rinv_excluding_missing"] == pytest.approx(100 * 7 / 39)
    # beta is within noise of alpha (the paired interval includes 0); gamma is not
    assert [r["tie"] for r in rows] == ["best", "tied", "separable"]
    assert [r["tie_method"] for r in rows] == [None, "paired_bootstrap", "paired_bootstrap"]


def test_default_leaderboard_ranks_each_protocol_apart(seeded):
    status, out, err = seeded("leaderboard")
    assert status == 0, err
    measured, paper = out.split("\n\nprotocol: ")[:2]
    lines = measured.splitlines()
    assert lines[0] == "protocol: no protocol recorded"  # these measured runs were stored without one
    assert lines[1].split()[:7] == ["rank", "name", "origin", "kind", "access", "rinv", "95%"]
    body = [line.split() for line in lines[2:5]]
    assert [row[1] for row in body] == ["alpha", "beta", "gamma"] and body[0][2] == "measured"
    assert "best" in lines[2] and "tied" in lines[3]
    # the paper's rows: their own protocol and ranking, by the paper's R_inv (no strict one published)
    lines = paper.splitlines()
    assert lines[0] == "SciGenBench paper (scigen)" and lines[1].split()[5] == "perfect_image_rate"
    assert lines[2].split()[:3] == ["1", "Gemini-3-Pro-ImgCoder", "reported"]
    assert "best" not in "\n".join(lines[2:13])  # published numbers: no intervals, no tie group
    assert "ranked by perfect_image_rate (higher is better)" in paper
    assert "runs are ranked only within their protocol" in out
    assert "measured: computed in this workspace" in out
    assert "reported: published numbers from Scientific Image Synthesis" in out


def test_kind_filter_csv(seeded):
    status, out, err = seeded("leaderboard", "--kind", "pixel", "--format", "csv")
    assert status == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns[:6]) == ["origin", "rank", "run_id", "name", "kind", "generator_kind"]
    assert set(frame["generator_kind"]) == {"pixel"} and set(frame["origin"]) == {"measured", "reported"}
    assert frame["name"].tolist()[:2] == ["gamma", "Nanobanana-Pro"]
    assert len(frame) == 1 + 8


def test_reported_leaderboard_by_a_lower_is_better_metric(seeded):
    status, out, err = seeded("leaderboard", "--reported", "--metric", "FID", "--format", "json")
    assert status == 0, err
    rows = json.loads(out)
    assert rows[0]["name"] == "GPT-Image-1" and rows[0]["fid"] == 77.31
    assert rows[-1]["name"] == "Qwen3-ImgCoder"
    assert all(r["tie"] is None for r in rows)  # published numbers carry no intervals: no tie group
    status, out, _ = seeded("leaderboard", "--reported", "--metric", "fid")
    assert "ranked by fid (lower is better)" in out and "GPT-Image-1" in out.splitlines()[2]


def test_by_subject_and_type(seeded):
    status, out, err = seeded("leaderboard", "--by", "subject", "--format", "json")
    assert status == 0, err
    rows = json.loads(out)
    # rows are generation runs; their per-subject numbers come from their evaluation runs
    stored = seeded.store().aggregates(metric="rinv", scope="subject")
    for row in rows:
        source = "ev-" + row["run_id"].removeprefix("gen-")
        match = stored[(stored["run_id"] == source) & (stored["scope_value"] == row["subject"])]
        assert row["value"] == pytest.approx(match["value"].item()) and row["metric"] == "rinv"
    math = [r for r in rows if r["subject"] == "Math"]
    assert [r["name"] for r in math] == ["alpha", "beta", "gamma"]
    assert (
        math[0]["value"] == pytest.approx(90.0) and math[0]["tie"] == "best" and math[2]["tie"] == "separable"
    )
    assert [r["subject"] for r in rows] == ["Math"] * 3 + ["Physics"] * 3
    status, out, err = seeded("leaderboard", "--by", "type", "--metric", "quiz_acc")
    assert status == 0, err
    assert out.splitlines()[0].split() == ["image_type", "rank", "name", "quiz_acc", "95%", "CI", "n", "tie"]
    assert "(untyped)" in out and out.index(PLANE) < out.index(CIRCUIT) < out.index("(untyped)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("leaderboard", "--metric", "nope"), "unknown metric 'nope'; known metrics: rinv, quiz_acc,"),
        (("leaderboard", "--measured", "--metric", "kid"), "no measured run has a value for 'kid'"),
        (("leaderboard", "--reported", "--by", "subject"), "reported runs have only overall numbers"),
        (("correlate", "rinv", "bogus"), "unknown metric 'bogus'; known metrics: rinv"),
        (("correlate", "rinv", "fid"), "no measured run has a value for 'fid'"),
        (("correlate", "rinv", "quiz_acc", "--kind", "code"), "needs at least 3 runs with both; found 2"),
    ],
)
def test_errors_are_one_clear_line(seeded, args, message):
    status, out, err = seeded(*args)
    assert status == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    if "unknown metric" in message:  # names the declared metrics and those the store holds
        assert all(name in err for name in ("judge_cf", "fid", "rinv_excluding_missing", "n_missing"))


def test_correlate_reported_table(seeded):
    # the paper's R_inv is the published scoring's perfect image rate
    status, out, err = seeded("correlate", "perfect_image_rate", "fid", "--reported", "--format", "json")
    assert status == 0, err
    result = json.loads(out)
    assert {"pearson_r", "pearson_p", "spearman_r", "spearman_p", "n", "x", "y", "runs"} <= set(result)
    assert (result["x"], result["y"], result["n"], result["origin"]) == ("perfect_image_rate", "fid", 11, "reported")
    assert result["pearson_r"] == pytest.approx(0.2281, abs=1e-4)
    assert result["pearson_p"] == pytest.approx(0.4999, abs=1e-4)
    assert result["spearman_r"] == pytest.approx(0.1636, abs=1e-4)
    assert result["spearman_p"] == pytest.approx(0.6307, abs=1e-4)
    assert "Nanobanana-Pro" in result["runs"]
    status, out, _ = seeded("correlate", "Perfect image rate", "fid", "--reported")
    assert status == 0 and "perfect_image_rate vs fid over 11 reported runs" in out and "Pearson r    = +0.228" in out


def test_correlate_measured_runs(seeded):
    status, out, err = seeded("correlate", "rinv", "quiz_acc", "--format", "json")
    assert status == 0, err
    result = json.loads(out)
    board = seeded.store().leaderboard(kind="evaluation").set_index("name").loc[result["runs"]]
    assert result["n"] == 3 and result["origin"] == "measured"
    assert result["pearson_r"] == pytest.approx(stats.pearsonr(board["rinv"], board["quiz_acc"]).statistic)
