"""AppTest of app_pages/jobs.py: start real background jobs from the form, watch the store reach
finished, cancel a slow job (it records 'interrupted') and resume it; the pickers list whatever
generators and evaluators are registered."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import core.evaluation.base as evaluation_base
import core.generation.base as generation_base
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    FigureEvaluator,
    FigureUnderTest,
    MetricValue,
)
from core.generation.base import FigureResult, GenerationContext, Generator, GeneratorKind
from core.jobs.launcher import list_jobs
from core.models.fake_server import FakeOpenAIServer
from core.problems import Problem
from core.seed import seed_workspace
from core.store import RunProgress, Store
from core.workspace import Workspace
from tests.app_pages.pagekit import page_runner

run_page = page_runner("jobs.py")
run_generate_page = page_runner("generate.py")
JOB_TIMEOUT_S = 180
PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_API_BASE",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "SCIGEN_CONFIG",
)
REPLY = (
    "Plan\nImage Content: a figure.\nLayout: one axes.\nLabels: none.\nDrawing Considerations: none.\n\n"
    "```python\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [0, 1])\n```\n"
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A seeded workspace of this test's own, no provider keys, the test folder as working folder."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    workspace = Workspace.from_env(tmp_path / "home")
    seed_workspace(workspace)
    monkeypatch.setenv("SCIGEN_HOME", str(workspace.home))
    yield workspace
    for info in list_jobs(workspace):  # never leave a job behind
        if info.alive:
            import os
            import signal

            os.killpg(info.handle.pid, signal.SIGKILL)


def wait_for(check: Callable[[], Any], what: str, timeout: float = JOB_TIMEOUT_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def progress_of(workspace: Workspace, run_name: str) -> RunProgress | None:
    store = Store.open(workspace)
    run = store.find_run("generation", run_name)
    return store.run_progress(run.run_id) if run is not None else None


def start_generation(at: AppTest, *, model: str, run: str, limit: int, **options: Any) -> AppTest:
    at.selectbox(key="job_model").set_value(model)
    at.text_input(key="job_run").set_value(run)
    at.number_input(key="job_limit").set_value(limit)
    for key, value in options.items():
        at.number_input(key=key).set_value(value)
    next(b for b in at.button if b.label == "Start the generation job").click()
    return at.run()


def card_headings(at: AppTest, run: str) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(f"**{run}**")]


def test_without_jobs_or_runs_the_page_says_what_to_do(home):
    at = run_page()
    assert not at.exception
    assert [h.value for h in at.header] == ["Jobs"]
    infos = " ".join(info.value for info in at.info)
    assert "No jobs yet" in infos and "No runs yet" in infos
    assert at.selectbox(key="job_model").options == [
        "reference (gold scripts of the bundled sample)",
        "text-card (adversarial baseline: no diagram)",
    ]


@pytest.mark.slow
def test_an_offline_job_started_here_runs_in_the_background_to_finished(home):
    at = start_generation(run_page(), model="reference", run="page-ref", limit=2)
    assert not at.exception and not at.error
    assert any("Started job" in s.value and "--model=reference" in s.value for s in at.success)

    progress = wait_for(
        lambda: (p := progress_of(home, "page-ref")) is not None and p.state == "finished" and p,
        "the job's progress to read finished",
    )
    assert (progress.done, progress.total, progress.ok) == (2, 2, 2)
    wait_for(lambda: not any(info.alive for info in list_jobs(home)), "the job process to end", 60)

    at = run_page()
    assert not at.exception
    assert card_headings(at, "page-ref") == ["**page-ref** · generate · ✅ finished"]
    assert [p.value for p in at.progress] == [100]
    history = at.dataframe[0].value
    assert list(history["Run"]) == ["page-ref"] and list(history["State"]) == ["finished"]
    assert list(history["Done"]) == [2] and list(history["pass@1 %"]) == [100.0]
    assert not [b for b in at.button if b.label in ("Cancel", "Resume")]  # finished: nothing to do

    at = run_page(kind="evaluation")  # the history filter lives in the URL
    assert not at.exception and any("No runs yet" in info.value for info in at.info)


@pytest.mark.slow
def test_cancel_stops_a_slow_job_and_resume_finishes_it(home):
    with FakeOpenAIServer(reply=REPLY, latency_s=1.0) as server:
        (Path.cwd() / "scigen.toml").write_text(
            f'[profiles.slow]\nmodel = "openai/fake-model"\napi_base = "{server.api_base}"\n'
            "concurrency = 1\nmax_retries = 0\ntimeout_s = 30\n",
            encoding="utf-8",
        )
        at = start_generation(run_page(), model="slow", run="page-slow", limit=4, job_conc=1, job_attempts=1)
        assert not at.exception and not at.error
        wait_for(
            lambda: (p := progress_of(home, "page-slow")) is not None and p.done >= 1, "the first figure"
        )

        at.run()
        assert card_headings(at, "page-slow") == ["**page-slow** · generate · 🔄 running"]
        next(b for b in at.button if b.label == "Cancel").click().run()
        assert not at.exception
        progress = wait_for(
            lambda: (p := progress_of(home, "page-slow")) is not None and p.state != "running" and p,
            "the job to record how it stopped",
            60,
        )
        assert (progress.state, progress.stop_reason) == ("cancelled", "interrupted")
        assert 1 <= progress.done < 4
        wait_for(lambda: not any(info.alive for info in list_jobs(home)), "the job process to end", 60)

        at.run()
        assert card_headings(at, "page-slow") == ["**page-slow** · generate · ⏹️ cancelled"]
        next(b for b in at.button if b.label == "Resume").click().run()
        assert not at.exception
        progress = wait_for(
            lambda: (p := progress_of(home, "page-slow")) is not None and p.state == "finished" and p,
            "the resumed job to finish",
        )
        assert (progress.done, progress.ok) == (4, 4)
        assert len(Store.open(home).generations(progress.run_id)) == 4  # resumed, nothing stored twice
        assert len(list_jobs(home)) == 2


def test_the_evaluation_form_offers_the_offline_evaluators_once_there_is_a_run(home):
    from core.evaluation import registered_evaluators

    at = run_page()
    assert any("No generation run to evaluate yet" in info.value for info in at.info)
    _generation_run(home, "gold")
    at = run_page()
    assert not at.exception
    assert at.selectbox(key="eval_run").options == ["gold"]
    assert at.checkbox(key="eval_ocr").value is True  # no model: OCR answers the quizzes
    evaluators = registered_evaluators()
    labels = [evaluators[name].label or name for name in ("figure-facts", "psnr", "ssim")]
    assert set(labels) <= set(at.multiselect(key="eval_metrics").options)


class BlankCardGenerator(Generator):
    """A generator defined outside the project: a blank card per problem, no model."""

    name: ClassVar[str] = "toy-blank-card"
    kind: ClassVar[GeneratorKind] = "baseline"
    label: ClassVar[str] = "toy blank card (registered by a test)"

    async def generate(self, problem: Problem, ctx: GenerationContext) -> FigureResult:
        png = io.BytesIO()
        Image.new("RGB", (64, 48), "white").save(png, format="PNG")
        return FigureResult(problem_uid=problem.uid, status="ok", image=png.getvalue())


class PngSizeEvaluator(FigureEvaluator):
    """An evaluator defined outside the project: the figure's PNG size in KB, no model."""

    name: ClassVar[str] = "toy-png-size"
    label: ClassVar[str] = "toy PNG size (registered by a test)"
    produces: ClassVar[tuple[str, ...]] = ("toy_png_kb",)

    async def evaluate(
        self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext
    ) -> EvaluationOutput:
        if figure.status != "ok":
            return EvaluationOutput(
                metric_values=[MetricValue(problem_uid=problem.uid, metric="toy_png_kb", status="failed")]
            )
        size = len(figure.image_bytes()) / 1024
        return EvaluationOutput(metric_values=[MetricValue(problem_uid=problem.uid, metric="toy_png_kb", value=size)])


@pytest.fixture
def toy_components(isolated_registries):
    """The toy generator and evaluator registered the way a plugin registers, for this test only
    (each registry is swapped for a copy that the monkeypatch puts back)."""
    generation_base.register_generator(BlankCardGenerator)
    evaluation_base.register_evaluator(PngSizeEvaluator)


def test_generators_and_evaluators_registered_elsewhere_appear_in_the_pickers(home, toy_components):
    _generation_run(home, "gold")
    at = run_page()
    assert not at.exception
    assert at.selectbox(key="job_model").options == [
        "reference (gold scripts of the bundled sample)",
        "text-card (adversarial baseline: no diagram)",
        "toy blank card (registered by a test)",
    ]
    metrics = at.multiselect(key="eval_metrics").options
    assert "toy PNG size (registered by a test)" in metrics
    assert not {"ocr", "vqa", "judge", "mmq"} & set(metrics)  # answerers and model evaluators are not metrics

    at = run_generate_page()
    at.text_area(key="question").set_value("Draw a circle of radius 2 cm.").run()
    assert not at.exception
    assert "toy blank card (registered by a test)" in at.selectbox(key="generator").options


def _generation_run(workspace: Workspace, name: str) -> None:
    from core.generation.base import GeneratorSpec
    from core.jobs import ProblemSelection, generate, prepare_spec

    spec = prepare_spec(GeneratorSpec.create("reference"), profiles=None, home=str(workspace.home))
    generate(Store.open(workspace), workspace, run_name=name, spec=spec, selection=ProblemSelection(limit=2))


@pytest.mark.slow
def test_an_evaluation_job_started_here_scores_a_run_in_the_background(home):
    _generation_run(home, "gold")
    at = run_page()
    at.checkbox(key="eval_ocr").set_value(True)
    at.multiselect(key="eval_metrics").set_value(["figure-facts"])
    next(b for b in at.button if b.label == "Start the evaluation job").click()
    at.run()
    assert not at.exception and not at.error
    assert any("scigen evaluate --run=gold" in s.value for s in at.success)
    store = Store.open(home)

    def finished() -> bool:
        runs = store.evaluation_runs()
        return len(runs) == 2 and set(runs["state"]) == {"finished"}

    wait_for(finished, "both evaluation runs to finish")
    wait_for(lambda: not any(info.alive for info in list_jobs(home)), "the job process to end", 60)
    at = run_page()
    assert card_headings(at, "gold") == ["**gold** · evaluate · ✅ finished"]
    captions = [c.value for c in at.caption]
    assert any(c.startswith("gold · ocr: 2 / 2") for c in captions)
    assert any(c.startswith("gold · figure-facts: 2 / 2") for c in captions)


def test_a_reference_job_drawn_in_tikz_names_its_backend_in_the_command_and_the_history(home):
    at = run_page()
    at.radio(key="job_backend").set_value("tikz")
    at = start_generation(at, model="reference", run="page-tikz", limit=1)
    assert not at.exception and not at.error
    assert any("--backend=tikz" in s.value for s in at.success)
    wait_for(lambda: (p := progress_of(home, "page-tikz")) is not None and p.state == "finished" and p,
             "the job's progress to read finished")
    wait_for(lambda: not any(info.alive for info in list_jobs(home)), "the job process to end", 60)
    history = run_page().dataframe[0].value
    assert list(history["Backend"]) == ["TikZ"]


def test_without_tex_the_job_form_says_so_in_one_line(home, monkeypatch):
    monkeypatch.setattr("core.sandbox.tex.find_tex", lambda path=None: None)
    at = run_page()
    assert not at.exception
    assert any(label.endswith("(not available here)") for label in at.radio(key="job_backend").options)
    assert [c.value for c in at.caption if c.value.startswith("tikz: TeX is not installed here")]
