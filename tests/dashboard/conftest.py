from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _load_workspaces_helper():
    # By path: torch-fidelity installs a top-level `tests` package that shadows ours on import.
    name = "scigen_dashboard_test_workspaces"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parents[1] / "dashboard" / "workspaces.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


workspaces = _load_workspaces_helper()
make_seeded_workspace = workspaces.make_seeded_workspace


@pytest.fixture
def seephys_uid() -> str:
    """The uid of the untyped SeePhys-like problem (with a reference image) added to seeded workspaces."""
    return workspaces.SEEPHYS_UID


@pytest.fixture(scope="session")
def _seeded_home(tmp_path_factory):
    return make_seeded_workspace(tmp_path_factory.mktemp("dashboard-home")).home


@pytest.fixture
def seeded_home(_seeded_home, monkeypatch):
    """SCIGEN_HOME pointing at a seeded workspace shared by the session's read-only tests."""
    monkeypatch.setenv("SCIGEN_HOME", str(_seeded_home))
    return _seeded_home


@pytest.fixture
def fresh_seeded_home(tmp_path, monkeypatch):
    """A seeded workspace of this test's own, for tests that write."""
    home = make_seeded_workspace(tmp_path / "home").home
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    return home


@pytest.fixture
def leaderboard_frame():
    """Three runs in the shape Store.leaderboard() returns: two reported, one measured with an interval."""
    return workspaces.store_leaderboard_frame()


def _load_results_workspaces():
    # Measured runs with known numbers for the results pages (tests/dashboard/results_workspaces.py).
    name = "scigen_results_test_workspaces"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parents[1] / "dashboard" / "results_workspaces.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


results_workspaces = _load_results_workspaces()


@pytest.fixture(scope="session")
def _measured_home(tmp_path_factory):
    return results_workspaces.make_measured_workspace(tmp_path_factory.mktemp("measured-home")).home


@pytest.fixture
def measured_home(_measured_home, monkeypatch):
    """SCIGEN_HOME pointing at a seeded workspace with measured runs (read-only)."""
    monkeypatch.setenv("SCIGEN_HOME", str(_measured_home))
    return _measured_home
