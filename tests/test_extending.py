"""Adding a generator and an evaluator is one module each plus its registration: the ones defined in
this test module show up in ``scigen generate --help`` / ``scigen evaluate --help``, run through
both verbs and aggregate on the leaderboard, with no edit anywhere else. (The Jobs and Generate
pickers are checked the same way in tests/app_pages/test_jobs_page.py.)"""

from __future__ import annotations

import io
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image

import core.cli
import core.metrics
from core.evaluation import base as evaluation_base
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    FigureEvaluator,
    FigureUnderTest,
    MetricValue,
)
from core.generation import base as generation_base
from core.generation.base import FigureResult, GenerationContext, Generator, GeneratorKind
from core.metrics import MetricSpec, declare_metric
from core.problems import Problem
from core.problems.sample import load_sample
from core.store import Store
from core.workspace import Workspace
from dashboard.data.results import LeaderboardQuery, results_leaderboard

INK = "toy_ink"


class StripeGenerator(Generator):
    """Draws one black stripe whose width grows with the problem's question length: no model."""

    name: ClassVar[str] = "toy-stripe"
    kind: ClassVar[GeneratorKind] = "baseline"
    label: ClassVar[str] = "toy stripe (registered by a test module)"
    uses_sandbox: ClassVar[bool] = False

    async def generate(self, problem: Problem, ctx: GenerationContext) -> FigureResult:
        image = Image.new("L", (100, 10), 255)
        image.paste(0, (0, 0, 10 + len(problem.question) % 80, 10))
        png = io.BytesIO()
        image.save(png, format="PNG")
        return FigureResult(problem_uid=problem.uid, status="ok", image=png.getvalue())


class InkEvaluator(FigureEvaluator):
    """The share of dark pixels in the figure, in percent: no model."""

    name: ClassVar[str] = "toy-ink"
    label: ClassVar[str] = "toy ink share (registered by a test module)"
    produces: ClassVar[tuple[str, ...]] = (INK,)

    async def evaluate(self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext) -> EvaluationOutput:
        if figure.status != "ok" or figure.image_path is None:
            return EvaluationOutput(metric_values=[MetricValue(problem_uid=problem.uid, metric=INK, status="failed")])
        pixels = np.asarray(Image.open(figure.image_path).convert("L"))
        share = 100.0 * float((pixels < 128).mean())
        return EvaluationOutput(metric_values=[MetricValue(problem_uid=problem.uid, metric=INK, value=share)])


@pytest.fixture
def toy_plugin(isolated_registries, request):
    """Register the toy components and their metric the way a plugin module does, for this test
    only (each registry is swapped for a copy that the monkeypatch puts back; the metric is
    removed again)."""
    generation_base.register_generator(StripeGenerator)
    evaluation_base.register_evaluator(InkEvaluator)
    declare_metric(MetricSpec(INK, "Ink share", False, 0.0, 100.0, "%", "Share of dark pixels.", "toy"))
    request.addfinalizer(lambda: core.metrics.METRICS.pop(INK, None))


@pytest.fixture
def scigen(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    workspace = Workspace.from_env(tmp_path / "ws").ensure()
    Store.open(workspace).upsert_problems(load_sample()[:6])

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = core.cli.main(["--home", str(workspace.home), *args])
        out, err = capsys.readouterr()
        return status, out, err

    run.workspace = workspace
    return run


def verb_help(capsys, verb: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        core.cli.main([verb, "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_a_toy_generator_and_evaluator_are_listed_run_and_ranked(toy_plugin, scigen, capsys):
    assert "toy-stripe" in verb_help(capsys, "generate")
    assert "toy stripe (registered by a test module)" in verb_help(capsys, "generate")
    evaluate_help = verb_help(capsys, "evaluate")
    assert "toy-ink" in evaluate_help and "toy ink share (registered by a test module)" in evaluate_help

    status, out, err = scigen("generate", "--model", "toy-stripe", "--run", "stripes", "--no-progress")
    assert status == 0, err
    status, out, err = scigen("evaluate", "--run", "stripes", "--metrics", "toy-ink", "--no-progress")
    assert status == 0, err
    assert INK in out

    store = Store.open(scigen.workspace)
    run = store.find_run("evaluation", "stripes · toy-ink")
    assert run is not None and run.spec_name == "toy-ink"
    values = store.metric_values(run.run_id)
    expected = float(values["value"].mean())
    overall = store.aggregates(run_id=run.run_id, scope="overall").set_index("metric")
    assert overall.loc[INK, "value"] == pytest.approx(expected)
    assert int(overall.loc[INK, "n"]) == 6

    board = results_leaderboard(store.leaderboard(), LeaderboardQuery(sort_metric=INK))
    table = board.view.table
    header = board.view.metric_headers[INK]
    generation = store.find_run("generation", "stripes")  # a run's row carries its evaluations' numbers
    row = table[[run_id == generation.run_id for run_id in board.view.run_ids]]
    assert len(row) == 1 and float(row[header].iloc[0]) == pytest.approx(expected, abs=0.05)
    assert board.view.run_ids[0] == generation.run_id  # sorted by the toy metric: the only run that has it
