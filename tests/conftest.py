"""Shared fixtures: an isolated workspace per test, and the real benchmark folder when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.workspace import PROJECT_ROOT, Workspace

SCIGENBENCH_DIR = PROJECT_ROOT.parent / "shared" / "scigenbench"

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """An empty workspace in a temp folder, also exported as $SCIGEN_HOME."""
    home = tmp_path / "scigen-home"
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    return Workspace(home).ensure()


@pytest.fixture(scope="session")
def scigenbench_dir() -> Path:
    """The shared development half of SciGenBench; skips the test when it is absent."""
    if not (SCIGENBENCH_DIR / "scigen.json").is_file():
        pytest.skip(f"real SciGenBench data not found at {SCIGENBENCH_DIR} (see ../shared/scigenbench/README.md)")
    return SCIGENBENCH_DIR


# ---- dashboard and page workspaces (shared by tests/dashboard and tests/app_pages) -------------------


@pytest.fixture
def seephys_uid() -> str:
    """The uid of the untyped SeePhys-like problem (with a reference image) added to seeded workspaces."""
    from tests.dashboard import workspaces

    return workspaces.SEEPHYS_UID


@pytest.fixture(scope="session")
def _seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.dashboard import workspaces

    return workspaces.make_seeded_workspace(tmp_path_factory.mktemp("seeded-home")).home


@pytest.fixture
def seeded_home(_seeded_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SCIGEN_HOME pointing at a seeded workspace shared by the session's read-only tests."""
    monkeypatch.setenv("SCIGEN_HOME", str(_seeded_home))
    return _seeded_home


@pytest.fixture
def fresh_seeded_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A seeded workspace of this test's own, for tests that write."""
    from tests.dashboard import workspaces

    home = workspaces.make_seeded_workspace(tmp_path / "home").home
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    return home


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace nobody has seeded: pages must say what to do next."""
    monkeypatch.setenv("SCIGEN_HOME", str(tmp_path / "empty"))
    return tmp_path / "empty"


@pytest.fixture
def leaderboard_frame():
    """Three runs in the shape Store.leaderboard() returns: two reported, one measured with an interval."""
    from tests.dashboard import workspaces

    return workspaces.store_leaderboard_frame()


@pytest.fixture(scope="session")
def _measured_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.dashboard import results_workspaces

    return results_workspaces.make_measured_workspace(tmp_path_factory.mktemp("measured-home")).home


@pytest.fixture
def measured_home(_measured_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SCIGEN_HOME pointing at a seeded workspace with measured runs (read-only)."""
    monkeypatch.setenv("SCIGEN_HOME", str(_measured_home))
    return _measured_home


@pytest.fixture(scope="session")
def _protocol_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.dashboard import protocol_workspaces

    return protocol_workspaces.make_protocol_workspace(tmp_path_factory.mktemp("protocol-home")).home


@pytest.fixture
def protocol_home(_protocol_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SCIGEN_HOME pointing at a workspace with runs of three protocols (read-only)."""
    monkeypatch.setenv("SCIGEN_HOME", str(_protocol_home))
    return _protocol_home


@pytest.fixture
def isolated_registries(monkeypatch):
    """Generators and evaluators a test registers stay in that test: the built-ins are loaded
    first (a module imported while a copy is in place would register into the copy only and be
    lost for every later test), then each registry is swapped for a copy the monkeypatch puts back."""
    from core.evaluation import base as evaluation_base
    from core.evaluation import registered_evaluators
    from core.generation import base as generation_base
    from core.generation import registered_generators

    registered_generators()
    registered_evaluators()
    monkeypatch.setattr(generation_base, "_REGISTRY", dict(generation_base._REGISTRY))
    monkeypatch.setattr(evaluation_base, "_REGISTRY", dict(evaluation_base._REGISTRY))
