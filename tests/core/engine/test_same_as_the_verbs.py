"""The engine's records equal what ``scigen import`` + ``generate`` + ``evaluate`` + ``export``
produce for the same problems with the same (offline) generator and evaluator: the same figures,
the same quiz verdicts, the same exported rows. The engine runs in this process on an embedded
Ray; the verbs run through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import core.cli
from core.engine.driver import run_pipeline
from core.engine.shards import read_columns
from core.workspace import PROJECT_ROOT

pytestmark = pytest.mark.slow

N = 8
PIPELINE = """
[source]
paths = ["problems.jsonl"]

[generate]
generator = "text-card"

[[verify]]
evaluator = "ocr"

[filter]
min_rinv = 0.5

[export]
formats = ["verl"]

[run]
batch_size = 3
"""
RUN_NAMES = ("run", "run_id", "quiz_evaluation", "judge_evaluation", "generator_spec", "model", "index")


def _verl_rows(path: Path) -> dict[str, dict]:
    rows = {}
    for row in pq.read_table(path).to_pylist():
        info = {key: value for key, value in row["extra_info"].items() if key not in RUN_NAMES}
        rows[info["uid"]] = {**row, "extra_info": info, "images": [image["bytes"] for image in row["images"]]}
    return rows


def test_engine_records_equal_generate_evaluate_export(tmp_path: Path, local_ray: None) -> None:
    lines = (PROJECT_ROOT / "data" / "sample" / "physics.jsonl").read_text(encoding="utf-8").splitlines()[:N]
    items = [{k: v for k, v in json.loads(line).items() if k != "reference_script"} for line in lines]
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    (tmp_path / "pipeline.toml").write_text(PIPELINE)

    manifest = run_pipeline(tmp_path / "pipeline.toml", tmp_path / "dataset")
    assert manifest.counts.items == N and manifest.counts.verified == N

    home = ["--home", str(tmp_path / "home")]
    assert core.cli.main([*home, "import", str(problems)]) == 0
    assert core.cli.main([*home, "generate", "--model", "text-card", "--run", "cards", "--no-progress"]) == 0
    assert core.cli.main([*home, "evaluate", "--run", "cards", "--vqa", "ocr", "--no-progress"]) == 0
    out = tmp_path / "verbs-export"
    assert core.cli.main([*home, "export", "--run", "cards", "--format", "verl", "--out", str(out),
                          "--min-rinv", "0.5"]) == 0

    # The same quiz verdicts, figure by figure.
    from core.store import Store
    from core.workspace import Workspace

    store = Store.open(Workspace.from_env(tmp_path / "home"))
    run = store.find_run("generation", "cards")
    answers = store.run_items(run.run_id).quiz_answers
    verbs = {(row.problem_uid, int(row.quiz_index)): (bool(row.correct), bool(row.abstained))
             for row in answers.itertuples(index=False)}
    engine = {}
    for table in read_columns(tmp_path / "dataset", ["key", "quiz_answers"]):
        for key, text in zip(table.column("key").to_pylist(), table.column("quiz_answers").to_pylist(), strict=True):
            for answer in json.loads(text):
                engine[(key, answer["quiz_index"])] = (answer["correct"], answer["abstained"])
    assert engine == verbs and len(engine) > N

    # The same exported rows (names of runs aside): prompts, answers, images, R_inv, provenance.
    report = json.loads((out / "export_report.json").read_text())
    engine_rows = _verl_rows(tmp_path / "dataset" / "export" / "verl" / "part-00000" / "train.parquet")
    verb_rows = _verl_rows(out / "train.parquet")
    assert engine_rows == verb_rows and 0 < len(engine_rows) < N + 1
    assert manifest.export["exported"] == report["exported"]
    assert manifest.counts.passed == report["passed_filters"]
