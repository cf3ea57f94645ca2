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
