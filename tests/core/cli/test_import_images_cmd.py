"""``scigen import-images``, through the same entry point a user calls, into a temp store."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

import core.cli
from core.generation.base import GeneratorSpec
from core.problems.sample import load_sample
from tests.core.generation.test_imported import (
    TRIPLET_QUESTION,
    image_bytes,
    made_up_problems,
    write_parquet,
)


@pytest.fixture
def scigen(scigen_with, tmp_path):
    """``scigen --home <tmp> ARGS`` with only the import-images verb.

    The store starts with the bundled sample and a few made-up problems (twins, an id in two sources).
    """
    run = scigen_with("core.cli.import_images_cmd", tmp_path / "home")
    run.problems = [*load_sample(), *made_up_problems()]
    run.store().upsert_problems(run.problems)
    return run


def sample_export(tmp_path, problems):
    """One model's folder of a Hugging Face export: two shards, an unmatched, an ambiguous and a corrupt row."""
    rows = [{"image": image_bytes(), "question": " ".join(p.question.upper().split()), "answer": p.answer,
             "image_type": p.image_type} for p in problems[:5]]  # fmt: skip
    rows += [
        {"image": image_bytes(), "question": "A question that no stored problem has."},
        {"image": image_bytes(), "question": TRIPLET_QUESTION},
        {"image": b"\x89PNG\r\n\x1a\n garbage", "question": problems[5].question},
        {"image": image_bytes("JPEG"), "question": problems[6].question},
    ]
    folder = tmp_path / "flux2"
    write_parquet(folder / "scigen-00000-of-00002.parquet", rows[:4], row_group_size=2)
    write_parquet(folder / "scigen-00001-of-00002.parquet", rows[4:], image_as="binary")
    return folder


def test_help_lists_the_options(scigen, capsys):
    with pytest.raises(SystemExit) as excinfo:
        scigen("import-images", "--help")
    assert excinfo.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--run", "--generator-kind", "--model", "--source", "--report-json"):
        assert flag in out


def test_import_parquet_export_reports_and_stores(scigen, tmp_path):
    export = sample_export(tmp_path, scigen.problems)
    report_path = tmp_path / "report.json"
    status, out, err = scigen(
        "import-images", export, "--run", "flux2-paper", "--model", "FLUX.2", "--report-json", report_path,
        "--batch-size", "3",
    )  # fmt: skip
    assert status == 1, err  # some rows were reported instead of stored
    assert "scigen-00001-of-00002.parquet row 1: unmatched: no stored problem has this question" in out
    assert "— question: 'A question that no stored problem has.'" in out
    assert "scigen-00001-of-00002.parquet row 2: ambiguous: 2 stored problems share this question" in out
    assert "scigen-00001-of-00002.parquet row 3: bad_image:" in out and "not an image Pillow can read" in out
    assert "stored 6, 1 unmatched, 1 ambiguous, 1 bad image, 0 duplicate, 0 ignored" in out
    assert "6 figures: 6 new, 0 replaced, 0 unchanged" in out

    store = scigen.store()
    run = store.find_run("generation", "flux2-paper")
    assert (run.spec_name, run.generator_kind, run.model) == ("imported", "pixel", "FLUX.2")
    assert run.spec_params == {"kind": "pixel", "model": "FLUX.2", "path": str(export.resolve())}
    figures = store.generations(run.run_id)
    wanted = sorted(p.uid for p in [*scigen.problems[:5], scigen.problems[6]])
    assert sorted(figures["problem_uid"]) == wanted and set(figures["status"]) == {"ok"}
    assert scigen.problems[5].uid not in set(figures["problem_uid"])  # its image was corrupt
    for relative in figures["image_path"]:
        with Image.open(scigen.workspace.home / relative) as image:
            assert image.format == "PNG"
    attempts = store.generation_attempts(run.run_id)
    assert (
        len(attempts) == 6 and set(attempts["purpose"]) == {"initial"} and set(attempts["status"]) == {"ok"}
    )
    assert all("imported from" in list(notes)[0] for notes in figures["notes"])

    report = json.loads(report_path.read_text())
    assert report["run"] == "flux2-paper" and report["run_id"] == run.run_id
    assert report["counts"] == {"unmatched": 1, "ambiguous": 1, "bad_image": 1, "duplicate": 0, "ignored": 0}
    assert report["figures"] == {"new": 6, "replaced": 0, "unchanged": 0}
    unmatched = next(issue for issue in report["issues"] if issue["kind"] == "unmatched")
    assert (unmatched["origin"], unmatched["row"], unmatched["index"]) == (
        "scigen-00001-of-00002.parquet",
        1,
        5,
    )


def test_reimporting_the_same_input_changes_nothing(scigen, tmp_path):
    export = sample_export(tmp_path, scigen.problems)
    scigen("import-images", export, "--run", "again", "--model", "m")
    store = scigen.store()
    run_id = store.find_run("generation", "again").run_id
    before = store.generations(run_id)
    version = store.data_version()

    status, out, _ = scigen("import-images", export, "--run", "again", "--model", "m")
    assert status == 1
    assert f"run 'again' ({run_id}): 6 figures: 0 new, 0 replaced, 6 unchanged" in out
    assert store.data_version() == version  # not a single write
    after = store.generations(run_id)
    assert after.drop(columns=["notes"]).equals(before.drop(columns=["notes"]))  # created_at included
    assert [list(n) for n in after["notes"]] == [list(n) for n in before["notes"]]
    assert len(store.list_runs(kind="generation")) == 1


def test_image_folder_with_source_and_code_kind(scigen, tmp_path):
    folder = tmp_path / "pngs"
    folder.mkdir()
    (folder / "7.png").write_bytes(image_bytes())
    (folder / "eq1.jpeg").write_bytes(image_bytes("JPEG"))
    status, out, err = scigen(
        "import-images", folder, "--run", "coder", "--generator-kind", "code", "--source", "scigen"
    )
    assert status == 0, out + err
    assert "stored 2, 0 unmatched" in out
    store = scigen.store()
    run = store.find_run("generation", "coder")
    assert run.generator_kind == "code" and run.model is None
    assert run.selection["source"] == "scigen"
    assert sorted(store.generations(run.run_id)["problem_uid"]) == ["scigen:7", "scigen:eq1"]


def test_image_folder_reports_ambiguous_and_corrupt_files(scigen, tmp_path):
    folder = tmp_path / "pngs"
    folder.mkdir()
    (folder / "7.png").write_bytes(image_bytes())  # scigen:7 and seephys:7
    (folder / f"{scigen.problems[0].id}.png").write_text("I am text, not a picture")
    status, out, _ = scigen("import-images", folder, "--run", "mixed")
    assert status == 1
    assert "7.png: ambiguous: '7' names 2 problems: pass --source" in out
    assert f"{scigen.problems[0].id}.png: bad_image: {scigen.problems[0].id}.png: not an image" in out
    assert "run 'mixed': nothing matched, no run written" in out
    assert scigen.store().find_run("generation", "mixed") is None


def missing_column_shard(tmp):
    path = tmp / "x.parquet"
    pq.write_table(pa.table({"image": pa.array([b"1"], pa.binary()), "answer": ["1"]}), path)
    return path


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda tmp: tmp / "missing", "missing: no such file or folder — nothing was stored"),
        (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "no Parquet files and no images"),
        (missing_column_shard, "x.parquet: column 'original_question' is missing"),
    ],
)
def test_unreadable_input_exits_2(scigen, tmp_path, setup, message):
    status, _, err = scigen("import-images", setup(tmp_path), "--run", "r")
    assert status == 2
    assert message in err and err.startswith("scigen import-images: error:")
    assert scigen.store().find_run("generation", "r") is None


def test_another_input_under_the_same_run_name_is_refused(scigen, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        (folder / "eq1.png").write_bytes(image_bytes())
    assert scigen("import-images", first, "--run", "same")[0] == 0
    status, _, err = scigen("import-images", second, "--run", "same")
    assert status == 2 and "already exists with another spec" in err
    spec = GeneratorSpec.create("imported", path=str(first.resolve()), kind="pixel", model=None)
    assert scigen.store().find_run("generation", "same").spec_params == dict(spec.params)


def test_empty_store_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(core.cli, "VERB_MODULES", ("core.cli.import_images_cmd",))
    folder = tmp_path / "pngs"
    folder.mkdir()
    (folder / "1.png").write_bytes(image_bytes())
    status = core.cli.main(["--home", str(tmp_path / "home"), "import-images", str(folder), "--run", "r"])
    assert status == 2
    assert (
        "the store holds no problems to match against: run 'scigen import' first" in capsys.readouterr().err
    )
