from __future__ import annotations

import pytest

from tests.core.export import exportkit as kit


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
