"""People in the loop in a real browser: a review driven by the keyboard that resumes after a
reload, and a viewer-mode server with no Workbench and no store write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.serving import VIEWER_ENV
from core.store import Store
from core.workspace import Workspace
from tests.browser import streamlit_driver as driver
from tests.browser.conftest import AppPage
from tests.dashboard import review_workspaces as rw

ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "MPLBACKEND": "Agg"}
HIDDEN = "Model scores stay hidden"
REVEALED = "What the models said"


@pytest.fixture(scope="module")
def review_home(chromium_ready, tmp_path_factory) -> Path:
    return rw.make_review_workspace(tmp_path_factory.mktemp("review") / "home").home


@contextmanager
def tab(browser_context, server) -> Iterator[AppPage]:
    page = browser_context.new_page()
    try:
        yield AppPage(page, server)
    finally:
        page.close()


def main_text(app: AppPage) -> str:
    return app.main().inner_text()


def test_rate_three_figures_with_the_keyboard_reload_and_resume_at_the_fourth(review_home, browser_context, tmp_path):
    with driver.streamlit_server(driver.APP_SCRIPT, env={**ENV, "SCIGEN_HOME": str(review_home)},
                                 log_path=tmp_path / "streamlit.log") as server:
        with tab(browser_context, server) as app:
            app.open("review?reviewer=ana")
            app.assert_no_exception()
            assert "Figure 1 of 20" in main_text(app) and HIDDEN in main_text(app)
            for figure in range(3):
                for key in ("2", "1", "1", "0", "2"):
                    assert REVEALED not in main_text(app), "a model score showed before the figure was rated"
                    app.rerun_after(lambda key=key: app.page.keyboard.press(key))
                assert REVEALED in main_text(app) and HIDDEN not in main_text(app)
                app.rerun_after(lambda: app.page.keyboard.press("ArrowRight"))
                assert f"Figure {figure + 2} of 20" in main_text(app)
            app.page.reload()
            app.wait_until_done()
            app.assert_no_exception()
            assert "Figure 4 of 20" in main_text(app) and HIDDEN in main_text(app)
            app.screenshot("review-resumed")
    ratings = Store.open(Workspace.from_env(review_home)).review_ratings(reviewer="ana")
    assert len(ratings) == 15 and sorted(set(ratings["score"].astype(int))) == [0, 1, 2]


def test_viewer_mode_has_no_workbench_and_writes_nothing(review_home, browser_context, tmp_path):
    store = Store.open(Workspace.from_env(review_home))
    before = (store.data_version(), store.path.stat().st_mtime_ns, store.path.stat().st_size)
    env = {**ENV, "SCIGEN_HOME": str(review_home), VIEWER_ENV: "1"}
    with driver.streamlit_server(driver.APP_SCRIPT, env=env, log_path=tmp_path / "viewer.log") as server:
        with tab(browser_context, server) as app:
            app.open("")
            links = app.page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')
            shown = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]
            assert "Review" in shown and not {"Generate", "Jobs", "Export"} & set(shown)
            for crafted in ("generate", "jobs", "export?run=coder"):
                app.open(crafted)  # a crafted URL lands on the default page, never the Workbench
                assert app.header() == "Leaderboard", crafted
            for page in ("explorer", "compare", "arena", "judge_radar", "review?reviewer=ana"):
                app.open(page)
                app.assert_no_exception()
            assert "sign in to save reviews" in main_text(app)  # the review page, opened last
    after = (store.data_version(), store.path.stat().st_mtime_ns, store.path.stat().st_size)
    assert after == before
