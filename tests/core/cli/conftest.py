"""The CLI tests' runner: ``scigen`` called in this process through its entry point, with only the
verb module under test loaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import core.cli
from core.store import Store
from core.workspace import Workspace


class Scigen:
    """``scigen [--home HOME] ARGS``; a call returns (exit status, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], home: Path | None) -> None:
        self._capsys = capsys
        self.home = home

    def __call__(self, *args: object) -> tuple[int, str, str]:
        self._capsys.readouterr()
        home = ["--home", str(self.home)] if self.home is not None else []
        status = core.cli.main([*home, *map(str, args)])
        out, err = self._capsys.readouterr()
        return status, out, err

    @property
    def workspace(self) -> Workspace:
        return Workspace.from_env(self.home)

    def store(self) -> Store:
        return Store.open(self.workspace)


@pytest.fixture
def scigen_with(monkeypatch: pytest.MonkeyPatch, capsys) -> Callable[..., Scigen]:
    """``scigen_with("core.cli.render_cmd", home)``: a runner knowing only that module's verbs."""

    def make(verb_module: str, home: Path | None = None) -> Scigen:
        monkeypatch.setattr(core.cli, "VERB_MODULES", (verb_module,))
        return Scigen(capsys, home)

    return make
