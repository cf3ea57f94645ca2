"""Fixtures for the real-browser tests: one seeded workspace with measured runs, one `streamlit run`
server on loopback and one Debian chromium per session; pages are opened one after another.

Everything here skips (with the reason) when /usr/bin/chromium or playwright is missing; CI
installs chromium (.ci/run), so CI runs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser import streamlit_driver as driver

# Bundled-sample problems that get measured runs: every subject, images that OCR can read.
MEASURED_PROBLEM_IDS = (
    "sample-physics-mechanical-1",
    "sample-physics-circuit-1",
    "sample-chemistry-spectra-1",
    "sample-biology-genetics-1",
    "sample-math-plane-geometric-1",
    "sample-universal-plot-chart-1",
)
# Offline generators and evaluators: no model, no network.
MEASURED_GENERATORS = ("reference", "text-card")
OFFLINE_EVALUATORS = ("ocr", "psnr", "ssim")
RUN_PREFIX = "browser-"


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    reason = driver.chromium_missing_reason()
    if reason:
        pytest.skip(reason)


@dataclass
class MeasuredWorkspace:
    home: Path
    generation_runs: list[str] = field(default_factory=list)
    evaluation_runs: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def measured_workspace(chromium_ready, tmp_path_factory) -> MeasuredWorkspace:
    """The bundled sample and reported results, plus reference and text-card runs over a few
    problems scored by the offline evaluators, so every page has measured content."""
    from core.evaluation.base import EvaluatorSpec
    from core.generation.base import GeneratorSpec
    from core.jobs import ProblemSelection, evaluate, generate
    from core.seed import seed_workspace
    from core.store import Store
    from core.workspace import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("browser") / "home")
    seed_workspace(workspace)
    store = Store.open(workspace)
    measured = MeasuredWorkspace(workspace.home)
    selection = ProblemSelection(ids=MEASURED_PROBLEM_IDS)
    for generator in MEASURED_GENERATORS:
        name = RUN_PREFIX + generator
        summary = generate(store, workspace, run_name=name, spec=GeneratorSpec.create(generator), selection=selection)
        assert summary.ok > 0, f"offline generator {generator!r} drew nothing: {summary.message}"
        measured.generation_runs.append(name)
    for name in measured.generation_runs:
        for evaluator in OFFLINE_EVALUATORS:
            result = evaluate(store, workspace, generation_run=name, spec=EvaluatorSpec.create(evaluator))
            assert result.state == "finished", f"{evaluator} over {name}: {result.message}"
            measured.evaluation_runs.append(result.run_name)
    return measured


@pytest.fixture(scope="session")
def app_server(measured_workspace, tmp_path_factory) -> Iterator:
    env = {
        "SCIGEN_HOME": str(measured_workspace.home),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "MPLBACKEND": "Agg",
    }
    log_path = tmp_path_factory.mktemp("streamlit-log") / "streamlit.log"
    with driver.streamlit_server(driver.APP_SCRIPT, env=env, log_path=log_path) as server:
        yield server


@pytest.fixture(scope="module")
def browser_context(chromium_ready) -> Iterator:
    # Module scope, not session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, and asyncio.run() (core.jobs.generate, other tests) refuses to
    # start inside one.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, driver.chromium_context(playwright) as context:
        context.set_default_timeout(driver.PAGE_DONE_TIMEOUT_MS)
        yield context


class AppPage:
    """One browser tab on the dashboard, with the waits and checks every test needs."""

    def __init__(self, page, server) -> None:
        self.page = page
        self.server = server
        self.page_errors: list[str] = []
        self.offline_attempts: list[str] = []
        self.runs = driver.ScriptRuns(page)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        driver.keep_offline(page, self.offline_attempts)

    def open(self, route: str) -> None:
        """Open ``route`` (e.g. "explorer?subject=Physics") and wait until the page is done."""
        self.page.goto(f"{self.server.base_url}/{route.lstrip('/')}")
        self.wait_until_done()

    def rerun_after(self, action) -> None:
        """Do ``action`` (a click, a key press) and wait for the script run it starts to finish.

        The server's own "run finished" message is awaited (see driver.ScriptRuns), so a run that
        starts late, or ends before we look, is never mistaken for "already done"."""
        before = self.runs.finished
        action()
        if not self.runs.wait_for_more_than(before):
            raise AssertionError(
                f"{self.page.url}: the action finished no script run within "
                f"{driver.PAGE_DONE_TIMEOUT_MS} ms;\nserver log:\n{self.server.log_tail()}"
            )
        self.wait_until_done()

    def wait_until_done(self) -> None:
        try:
            driver.wait_until_done(self.page)
        except Exception as exc:
            raise AssertionError(
                f"{self.page.url} never finished rendering ({exc});\nserver log:\n{self.server.log_tail()}"
            ) from None

    def main(self):
        return self.page.locator('[data-testid="stMain"]')

    def header(self) -> str:
        return self.main().locator('[data-testid="stHeading"]').first.inner_text().strip()

    def assert_no_exception(self) -> None:
        exceptions = self.main().locator('[data-testid="stException"]')
        if exceptions.count():
            raise AssertionError(
                f"{self.page.url} shows an exception:\n{exceptions.first.inner_text()[:3000]}"
            )
        assert self.page_errors == [], f"{self.page.url}: browser errors {self.page_errors}"

    def path(self) -> str:
        from urllib.parse import urlparse

        return urlparse(self.page.url).path

    def query_params(self) -> dict[str, list[str]]:
        from urllib.parse import parse_qs, urlparse

        return parse_qs(urlparse(self.page.url).query)

    def screenshot(self, name: str) -> Path:
        return driver.save_screenshot(self.page, name)


@pytest.fixture
def app(app_server, browser_context) -> Iterator[AppPage]:
    page = browser_context.new_page()
    try:
        yield AppPage(page, app_server)
    finally:
        page.close()


@pytest.fixture(scope="session")
def pages() -> list:
    return driver.registered_pages()


def pytest_collection_modifyitems(config, items) -> None:
    # Every test in this folder drives a browser and is slow, whatever its module declares.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("MPLBACKEND", "Agg")
