"""A workspace for report tests, built once per test process: the seeder's data (sample problems,
the paper's reported runs and downstream table), offline ``reference`` and ``text-card`` runs over a
few sample problems, and a run with failed figures, plus imported training outcomes at several sizes.
Tests copy it (``copy_home``) before writing."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from core.generation.base import FigureResult, GeneratorSpec
from core.jobs import ProblemSelection, create_run, generate, prepare_spec, save_results
from core.seed import seed_workspace
from core.store import Store
from core.store.downstream import parse_downstream_csv
from core.workspace import Workspace

REPORT_IDS: tuple[str, ...] = (
    "sample-math-plane-geometric-1",
    "sample-physics-circuit-1",
    "sample-chemistry-spectra-1",
    "sample-biology-genetics-2",
)
REPORT_UIDS: tuple[str, ...] = tuple(f"custom:{pid}" for pid in REPORT_IDS)
MEASURED_RUNS: tuple[str, ...] = ("reference", "text-card")
BROKEN_RUN = "broken <b>&"
"""A run with a name that needs escaping; its first figure failed, the others are text cards."""
OUTCOMES_CSV = """source,train_samples,benchmark,accuracy
Gemini-ImgCoder,1000,GEO3K,62.0
Gemini-ImgCoder,10000,GEO3K,65.1
Gemini-ImgCoder,100000,GEO3K,68.0
Qwen-Image,1000,GEO3K,61.0
Qwen-Image,10000,GEO3K,62.5
Qwen-Image,100000,GEO3K,64.2
"""


@functools.cache
def base_home() -> Path:
    from core.sandbox import RenderPool

    root = Path(tempfile.mkdtemp(prefix="scigen-reportkit-"))
    atexit.register(shutil.rmtree, root, True)
    workspace = Workspace(root / "home").ensure()
    seed_workspace(workspace)
    store = Store.open(workspace)
    selection = ProblemSelection(ids=REPORT_UIDS)
    with RenderPool() as pool:
        for name in MEASURED_RUNS:
            spec = prepare_spec(GeneratorSpec.create(name), profiles=None, home=None)
            summary = generate(store, workspace, run_name=name, spec=spec, selection=selection, render_pool=pool)
            assert summary.state == "finished" and summary.ok == len(REPORT_UIDS), summary
    run_id = create_run(
        store, name=BROKEN_RUN, spec=GeneratorSpec.create("imported", label="broken"),
        generator_kind="code", selection=selection.to_dict(),
    )
    text_card = store.find_run("generation", "text-card")
    assert text_card is not None
    cards = store.generations(text_card.run_id).set_index("problem_uid")["image_path"]
    results = [
        FigureResult(problem_uid=uid, status="failed", error_class="runtime_error", error_message="drawn wrong")
        if index == 0
        else FigureResult(problem_uid=uid, status="ok", image=(workspace.home / cards[uid]).read_bytes())
        for index, uid in enumerate(REPORT_UIDS)
    ]
    save_results(store, workspace, run_id, BROKEN_RUN, results)
    store.import_downstream("csv:outcomes.csv", parse_downstream_csv(OUTCOMES_CSV, "outcomes.csv"))
    return workspace.home


def copy_home(destination: Path) -> Workspace:
    shutil.copytree(base_home(), destination)
    return Workspace(destination)
