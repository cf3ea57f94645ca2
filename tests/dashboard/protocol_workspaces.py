"""A workspace with runs of three protocols: the paper's reported rows, two runs imported from
official SciGenBench results (the paper's protocol), and an offline run over other problems (its
own protocol)."""

from __future__ import annotations

from pathlib import Path

from core.importing.official import import_official, run_names
from core.metrics import Aggregate
from core.protocols import Answerer, build_protocol
from core.store import Run, Store, load_reported_results
from core.workspace import Workspace
from tests.core.importing.officialkit import problems, write_official

OFFLINE_RUN = "offline-ocr"
IMPORTED_RUNS = [run_names("scigen", model)[0] for model in ("alpha-imgcoder", "beta")]


def make_protocol_workspace(root: Path) -> Workspace:
    workspace = Workspace(root / "home").ensure()
    store = Store.open(workspace)
    store.upsert_reported_results(load_reported_results())
    store.upsert_problems(problems())
    results, images = write_official(root / "official")
    import_official(store, workspace, results, images_dir=images)
    # An offline OCR run with a high R_inv on other problems: it must never outrank the paper's rows.
    store.upsert_run(Run(run_id="gen-offline", name=OFFLINE_RUN, kind="generation", generator_kind="baseline"))
    store.upsert_run(Run(run_id="eva-offline", name=f"{OFFLINE_RUN} · ocr", kind="evaluation",
                         spec_name="ocr", parent_run_id="gen-offline"))
    store.upsert_aggregates("eva-offline", [
        Aggregate(metric="rinv", value=90.6, ci_low=82.0, ci_high=97.0, n=53),
        Aggregate(metric="perfect_image_rate", value=92.0, ci_low=84.0, ci_high=98.0, n=50),
        Aggregate(metric="rinv", value=95.0, scope="subject", scope_value="Physics", n=20),
    ])
    store.set_run_protocol("eva-offline", build_protocol(
        [f"custom:sample-{i}" for i in range(53)],
        {"quiz_set": "quizzes", "answerer": Answerer(model="ocr"), "missing_image_rule": "counted_failed"},
    ))
    return workspace
