"""Selection thresholds, blind exclusion, the three formats read back, contamination and the card."""

from __future__ import annotations

import io
import json

import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest
from PIL import Image

from core.export import (
    MASK,
    ExportError,
    ExportFilters,
    MissingEvaluationError,
    export_training_set,
    parse_judge_thresholds,
    select_figures,
)
from core.store import Run
from core.store.evaluations import EvaluationItemRow, QuizAnswerRow


def _selected(store, workspace, **filters) -> set[str]:
    return {c.uid for c in select_figures(store, workspace, "gold", ExportFilters(**filters)).selected}


def test_judge_thresholds_parse_short_and_long_names():
    assert parse_judge_thresholds("C&F=2, sp=1.5,judge_er=0") == {"judge_cf": 2.0, "judge_sp": 1.5, "judge_er": 0.0}
    assert parse_judge_thresholds("R&O=1,L&P=1,E&R=1") == {"judge_ro": 1.0, "judge_lp": 1.0, "judge_er": 1.0}
    assert parse_judge_thresholds(None) == {}
    for bad, message in (("C&F", "NAME=VALUE"), ("XY=1", "unknown judge dimension"), ("SP=3", "0 to 2"),
                         ("SP=high", "not a number")):
        with pytest.raises(ExportError, match=message):
            parse_judge_thresholds(bad)


def test_rinv_and_judge_thresholds(kit_store, kit_workspace, export_kit):
    k = export_kit
    assert _selected(kit_store, kit_workspace) == {k.GEOMETRY, k.MOLECULE, k.TWIN, k.INCLINE}
    assert _selected(kit_store, kit_workspace, min_rinv=0.7) == {k.GEOMETRY, k.MOLECULE, k.TWIN, k.INCLINE, k.CIRCUIT}
    assert _selected(kit_store, kit_workspace, min_rinv=0) == set(k.OK_UIDS)
    strict = select_figures(kit_store, kit_workspace, "gold", ExportFilters(min_judge={"C&F": 2, "SP": 2}))
    assert {c.uid for c in strict.selected} == {k.GEOMETRY, k.TWIN}
    reasons = {c.uid: c.reasons for c in strict.candidates}
    assert reasons[k.MOLECULE] == ["judge_cf below 2 (1.5)"]  # mean over the two judges
    assert reasons[k.INCLINE] == ["judge_sp missing"]
    assert reasons[k.CIRCUIT] == ["R_inv below 1 (3/4)"]
    assert strict.rejections() == {"R_inv below 1": 2, "judge_cf below 2": 1, "judge_sp missing": 1}
    assert strict.quiz_source == "gold · ocr" and strict.judge_source == "gold · judge:j1,j2"
    assert strict.failed_figures == 1 and k.BROKEN not in reasons
    assert _selected(kit_store, kit_workspace, min_judge={"C&F": 1.5}) >= {k.MOLECULE}


def test_blind_quizzes_leave_rinv_when_excluded(kit_store, kit_workspace, export_kit):
    k = export_kit
    selection = select_figures(kit_store, kit_workspace, "gold", ExportFilters(exclude_blind_quizzes=True))
    genetics = next(c for c in selection.candidates if c.uid == k.GENETICS)
    assert (genetics.n_quizzes, genetics.n_correct, genetics.rinv, genetics.reasons) == (2, 2, 1.0, [])
    assert selection.blind_quizzes_excluded == 1
    assert {c.uid for c in selection.selected} == {k.GEOMETRY, k.MOLECULE, k.TWIN, k.INCLINE, k.GENETICS}


def test_missing_evaluations_name_the_command(tmp_path, export_kit):
    workspace = export_kit.export_workspace(tmp_path / "home")
    from core.store import Store

    store = Store.open(workspace)
    store.delete_run("eva-judge")
    with pytest.raises(MissingEvaluationError, match=r"run `scigen evaluate --run gold --judge PROFILE` first"):
        select_figures(store, workspace, "gold", ExportFilters(min_judge={"SP": 1}))
    store.delete_run("eva-quiz")
    with pytest.raises(MissingEvaluationError) as excinfo:
        select_figures(store, workspace, "gold", ExportFilters())
    assert excinfo.value.command == "scigen evaluate --run gold --vqa ocr"
    assert len(select_figures(store, workspace, "gold", ExportFilters(min_rinv=0)).selected) == 6
    store.upsert_run(Run(run_id="gen-other", name="other", kind="generation"))
    with pytest.raises(ExportError, match=r"no generation run 'nope'; generation runs: 'gold', 'other'"):
        select_figures(store, workspace, "nope", ExportFilters())
    store.upsert_run(Run(run_id="eva-other", name="other · ocr", kind="evaluation", parent_run_id="gen-other"))
    store.save_evaluation(
        "eva-other", [EvaluationItemRow(problem_uid=export_kit.INCLINE, status="ok", figure_status="ok")],
        quiz_answers=[QuizAnswerRow(problem_uid=export_kit.INCLINE, quiz_index=0, answerer="ocr", correct=True)],
    )
    with pytest.raises(MissingEvaluationError, match="no blind-solvability audit.*scigen quizzes audit"):
        export_training_set(store, workspace, run_name="other", out_dir=tmp_path / "o", fmt="hf",
                            filters=ExportFilters(exclude_blind_quizzes=True))
    assert not (tmp_path / "o").exists()  # nothing written on a refused export


@pytest.fixture(scope="module")
def exports(kit_store, kit_workspace, tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    return {
        fmt: (out / fmt, export_training_set(kit_store, kit_workspace, run_name="gold", out_dir=out / fmt, fmt=fmt))
        for fmt in ("verl", "sharegpt", "hf")
    }


def test_verl_parquet_reads_back(exports, export_kit):
    k = export_kit
    folder, summary = exports["verl"]
    table = pq.read_table(folder / "train.parquet")
    assert table.column_names == ["data_source", "prompt", "images", "ability", "reward_model", "extra_info"]
    rows = {row["extra_info"]["uid"]: row for row in table.to_pylist()}
    assert set(rows) == {k.GEOMETRY, k.MOLECULE, k.INCLINE}  # the twin is a near-duplicate
    incline = rows[k.INCLINE]
    assert incline["data_source"] == "scigen_studio/custom" and incline["ability"] == "Physics"
    assert incline["prompt"] == [{"role": "user", "content": "<image>" + incline["extra_info"]["question"]}]
    assert MASK in incline["prompt"][0]["content"] and "2 kg" not in incline["prompt"][0]["content"]
    assert incline["reward_model"] == {"style": "rule", "ground_truth": "a = 4.9 m/s²; t ≈ 0.78 s"}
    with Image.open(io.BytesIO(incline["images"][0]["bytes"])) as image:
        assert image.format == "PNG" and image.width > 100
    info = rows[k.GEOMETRY]["extra_info"]
    assert info["prompt_source"] == "multimodal_question" and info["run"] == "gold"
    assert info["generator"] == "reference" and json.loads(info["generator_spec"])["name"] == "reference"
    assert info["rinv"] == 1.0 and info["judge_cf"] == 2.0 and info["quiz_evaluation"] == "gold · ocr"
    assert rows[k.INCLINE]["extra_info"]["judge_sp"] is None
    assert summary.exported == 3 and summary.near_duplicates == {k.TWIN: k.GEOMETRY}


def test_sharegpt_json_reads_back(exports, export_kit):
    folder, _ = exports["sharegpt"]
    items = json.loads((folder / "train.json").read_text(encoding="utf-8"))
    assert len(items) == 3
    for item in items:
        user, assistant = item["messages"]
        assert user["role"] == "user" and user["content"].startswith("<image>")
        assert assistant["role"] == "assistant" and assistant["content"]
        assert len(item["images"]) == 1 and (folder / item["images"][0]).is_file()
        assert item["uid"] and item["run"] == "gold"
    info = json.loads((folder / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["scigen_train"]["formatting"] == "sharegpt" and info["scigen_train"]["file_name"] == "train.json"


def test_hf_imagefolder_metadata_reads_back(exports, export_kit):
    folder, _ = exports["hf"]
    lines = [json.loads(line) for line in (folder / "metadata.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3 and all((folder / line["file_name"]).is_file() for line in lines)
    table = pajson.read_json(folder / "metadata.jsonl")  # what `datasets` reads it with
    assert {"file_name", "question", "answer", "uid", "subject", "rinv", "judge_cf"} <= set(table.column_names)
    assert sorted(table.column("uid").to_pylist()) == sorted(line["uid"] for line in lines)


def test_card_and_report(exports):
    folder, summary = exports["hf"]
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlicense: other")
    for text in ("R_inv >= 1", "Near-duplicates removed: 1", "| Physics | 1 |", "| Math - Plane Geometric | 1 |",
                 "Apache License 2.0", "user's responsibility", "rejected, R_inv below 1: 2", "Exported: 3"):
        assert text in card, text
    report = json.loads((folder / "export_report.json").read_text(encoding="utf-8"))
    assert report["exported"] == 3 and report["per_subject"] == {"Chemistry": 1, "Math": 1, "Physics": 1}
    assert sorted(summary.files) == sorted(report["files"]) and "metadata.jsonl" in report["files"]


def test_contamination_excludes_or_flags_with_counts(kit_store, kit_workspace, tmp_path, export_kit):
    k = export_kit
    split = tmp_path / "eval.jsonl"
    split.write_text(
        json.dumps({"id": "e1", "question": k.INCLINE_QUESTION.upper()}) + "\n"
        + json.dumps({"id": "e2", "question": "Unrelated: how many legs has a spider?"}) + "\n",
        encoding="utf-8")
    summary = export_training_set(kit_store, kit_workspace, run_name="gold", out_dir=tmp_path / "x", fmt="hf",
                                  eval_split=str(split), dedup=False)
    assert summary.contamination["exact"] == 1 and summary.contamination["contaminated"] == 1
    assert summary.contaminated == {k.INCLINE: "exact: e1"} and summary.exported == 3  # 4 passed, twin kept
    assert "1 exact question matches" in (tmp_path / "x" / "README.md").read_text(encoding="utf-8")
    flagged = export_training_set(kit_store, kit_workspace, run_name="gold", out_dir=tmp_path / "y", fmt="sharegpt",
                                  eval_split=str(split), contamination_action="flag")
    assert flagged.contaminated == {k.INCLINE: "exact: e1"} and flagged.exported == 3  # kept, flagged
    items = {i["uid"]: i for i in json.loads((tmp_path / "y" / "train.json").read_text(encoding="utf-8"))}
    assert items[k.INCLINE]["contaminated"] is True and items[k.GEOMETRY]["contaminated"] is False


def test_output_folder_must_be_empty_unless_overwrite(kit_store, kit_workspace, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(ExportError, match="folder is not empty"):
        export_training_set(kit_store, kit_workspace, run_name="gold", out_dir=out, fmt="hf")
    assert (out / "keep.txt").exists()
    with pytest.raises(ExportError, match="unknown format"):
        export_training_set(kit_store, kit_workspace, run_name="gold", out_dir=tmp_path / "n", fmt="csv")
    summary = export_training_set(kit_store, kit_workspace, run_name="gold", out_dir=out, fmt="hf", overwrite=True)
    assert summary.exported == 3 and not (out / "keep.txt").exists()
