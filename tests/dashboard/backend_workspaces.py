"""A workspace with the same sample problems drawn twice by the ``reference`` generator: once in
Matplotlib (its gold scripts), once in TikZ (its gold TikZ figures, data/sample/tikz/), each run
scored offline with figure facts so both are on the leaderboard. Built once per test process;
read-only for tests. Needs TeX (pdflatex, pdftoppm)."""

from __future__ import annotations

from pathlib import Path

from core.evaluation.base import EvaluatorSpec
from core.generation.base import GeneratorSpec
from core.jobs import ProblemSelection, evaluate, generate
from core.sandbox import RenderPool
from core.store import Store
from tests.dashboard import workspaces

MATPLOTLIB_RUN = "gold-matplotlib"
TIKZ_RUN = "gold-tikz"
BACKEND_UIDS: tuple[str, ...] = ("custom:sample-math-plane-geometric-1", "custom:sample-physics-circuit-1")

_built: dict[str, Path] = {}


def backend_workspace(root: Path) -> Path:
    """The home of the workspace described above, built under ``root`` on first call per process."""
    if "home" in _built:
        return _built["home"]
    workspace = workspaces.make_seeded_workspace(root / "backends-home")
    store = Store.open(workspace)
    selection = ProblemSelection(ids=BACKEND_UIDS)
    with RenderPool() as pool:
        for name, backend in ((MATPLOTLIB_RUN, "matplotlib"), (TIKZ_RUN, "tikz")):
            summary = generate(
                store, workspace, run_name=name, spec=GeneratorSpec.create("reference", backend=backend),
                selection=selection, render_pool=pool,
            )
            assert summary.state == "finished" and summary.ok == len(BACKEND_UIDS), summary
            summary = evaluate(store, workspace, generation_run=name, spec=EvaluatorSpec.create("figure-facts"))
            assert summary.state == "finished", summary
    _built["home"] = workspace.home
    return workspace.home
