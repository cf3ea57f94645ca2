from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("scigen_export_kitloader", Path(__file__).with_name("kitloader.py"))
_loader = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_loader)
kit = _loader.load_kit()


@pytest.fixture(scope="module")
def kit_workspace(tmp_path_factory):
    """A copy of the export kit's workspace (read-only use within a module)."""
    return kit.export_workspace(tmp_path_factory.mktemp("export") / "home")


@pytest.fixture(scope="module")
def kit_store(kit_workspace):
    from core.store import Store

    return Store.open(kit_workspace)


@pytest.fixture(scope="session")
def export_kit():
    """The kit module (uids, run name)."""
    return kit
