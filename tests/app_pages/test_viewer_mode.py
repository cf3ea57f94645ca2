"""Viewer mode (``scigen serve --viewer``) in AppTest: no Workbench page, no job or generation by a
crafted URL or session state, and no store write on any page visit."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.jobs import launch
from core.jobs.single import generate_one
from core.models import ModelClient
from core.serving import VIEWER_ENV, ViewerModeError
from core.store import Store
from core.workspace import Workspace
from tests.app_pages.pagekit import ENTRYPOINT, page_runner
from tests.dashboard import review_workspaces as rw

SHARED_PAGES = ("leaderboard", "domains", "judge_radar", "correlations", "downstream", "explorer", "compare", "review",
                "arena")


@pytest.fixture
def viewer_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = rw.make_review_workspace(tmp_path / "home").home
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    monkeypatch.setenv(VIEWER_ENV, "1")
    return home


def file_state(home: Path) -> tuple:
    """What any store write changes: the DuckDB file (and WAL), the version token file."""
    store = Store.open(Workspace.from_env(home))
    files = [store.path, store.path.with_name(store.path.name + ".wal"), store.path.with_name(store.path.name + ".version")]
    return store.data_version(), tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None for p in files)


def test_no_workbench_page_exists_in_viewer_mode(viewer_home):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60).run()
    assert not at.exception
    assert "Shared read-only" in " ".join(c.value for c in at.sidebar.caption)
    assert not [m.value for m in at.main.markdown if "viewer mode" in m.value]  # no stray docstring drawn
    for workbench in ("app_pages/generate.py", "app_pages/jobs.py", "app_pages/export.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(workbench).run()


def test_the_full_dashboard_still_has_its_workbench(viewer_home, monkeypatch):
    monkeypatch.setenv(VIEWER_ENV, "0")
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60).run()
    at.switch_page("app_pages/jobs.py").run()
    assert not at.exception and [h.value for h in at.header] == ["Jobs"]


def test_a_crafted_session_state_starts_nothing(viewer_home):
    """(A crafted URL such as /generate is the browser test's: AppTest routes by switch_page only.)"""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    # The Generate page's button and the Jobs forms' keys, set as a crafted session would.
    for key in ("generate_figure", "job_retry", "job_cost", "eval_run", "eval_ocr"):
        at.session_state[key] = True
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Leaderboard"]  # the default page, not the Workbench
    assert not (viewer_home / "jobs").exists() or not any((viewer_home / "jobs").iterdir())
    # Behind the pages, the job launcher and the single-figure generator refuse as well.
    with pytest.raises(ViewerModeError, match="cannot start a job"):
        launch(["generate", "--run", "x", "--model", "reference"], workspace=Workspace.from_env(viewer_home))
    with pytest.raises(ViewerModeError, match="cannot draw a figure"):
        generate_one(Store.open(Workspace.from_env(viewer_home)).get_problems(limit=1)[0], None)
    with pytest.raises(ViewerModeError, match="cannot call a model"):
        ModelClient(cache=False)


@pytest.mark.parametrize("page", SHARED_PAGES)
def test_no_page_visit_writes_to_the_store(viewer_home, page):
    before = file_state(viewer_home)
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.query_params["reviewer"] = "ana"
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    if page == "explorer":  # a run's gallery: thumbnails made, but not in the shared workspace
        gallery = page_runner("explorer.py")(run="coder")
        assert not gallery.exception and len(gallery.image) > 5
        assert not (viewer_home / "thumbs").exists()
    if page == "review":
        # Typed name, no sign-in: the rating keys are not there and nothing is saved.
        assert not [b for b in at.button if str(b.key).startswith("review_key_")]
        assert "sign in to save reviews" in " ".join(w.value for w in [*at.warning, *at.info])
    assert file_state(viewer_home) == before


def test_sign_in_without_viewer_mode_shows_nothing_before_sign_in(viewer_home, monkeypatch):
    from core.serving import SIGN_IN_ENV

    monkeypatch.setenv(VIEWER_ENV, "0")
    monkeypatch.setenv(SIGN_IN_ENV, "1")
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["SciGen Studio"] and not at.header  # no page ran
    assert "signed-in reviewers" in at.info[0].value and at.button(key="gate_sign_in")
