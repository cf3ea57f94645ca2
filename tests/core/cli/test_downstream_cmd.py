"""``scigen downstream import|list|scaling`` through the entry point, with only this verb group."""

from __future__ import annotations

import json

import pytest

OUTCOMES = """source,train_samples,benchmark,accuracy
Gemini-ImgCoder,1000,GEO3K,62.0
Gemini-ImgCoder,10000,GEO3K,65.0
Qwen-Image,1000,GEO3K,61.0
"""


@pytest.fixture
def scigen(scigen_with, tmp_path):
    return scigen_with("core.cli.downstream_cmd", tmp_path / "home")


def test_help_lists_the_verbs(scigen):
    with pytest.raises(SystemExit) as done:
        scigen("downstream", "--help")
    assert done.value.code == 0
    for verb in ("import", "list", "scaling"):
        with pytest.raises(SystemExit):
            scigen("downstream", verb, "--help")


def test_import_then_list_in_every_format_and_reimport_is_idempotent(scigen, tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text(OUTCOMES, encoding="utf-8")
    status, out, _ = scigen("downstream", "import", path)
    assert status == 0 and "3 rows (3 with a training-set size) as 'csv:outcomes.csv': stored" in out
    status, out, _ = scigen("downstream", "import", path)
    assert status == 0 and "unchanged (already stored)" in out

    status, out, _ = scigen("downstream", "list", "--format", "json")
    rows = json.loads(out)
    assert [(r["source"], r["train_samples"], r["accuracy"]) for r in rows] == [
        ("Gemini-ImgCoder", 1000, 62.0), ("Gemini-ImgCoder", 10000, 65.0), ("Qwen-Image", 1000, 61.0)
    ]
    status, out, _ = scigen("downstream", "list", "--format", "csv", "--source", "Qwen-Image")
    assert out.splitlines()[0].startswith("source,benchmark,accuracy,train_samples") and len(out.splitlines()) == 2
    status, out, _ = scigen("downstream", "list")
    assert "Gemini-ImgCoder" in out and "csv:outcomes.csv" in out

    status, out, _ = scigen("downstream", "scaling", "--format", "json")
    fits = {row["Source"]: row for row in json.loads(out)}
    assert fits["Gemini-ImgCoder"]["Slope per decade"] == pytest.approx(3.0)
    assert fits["Qwen-Image"]["Slope per decade"] is None
    assert fits["Qwen-Image"]["Note"].startswith("needs at least 2 training-set sizes")


def test_a_broken_file_stores_nothing_and_names_row_and_field(scigen, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(OUTCOMES, encoding="utf-8")
    assert scigen("downstream", "import", good)[0] == 0
    broken = tmp_path / "good.csv"  # same name: would replace the stored rows if accepted
    broken.write_text(OUTCOMES + "Qwen-Image,abc,GEO3K,61\n", encoding="utf-8")
    status, out, err = scigen("downstream", "import", broken)
    assert status == 2
    assert "error: " in err and "row 5: field 'train_samples': 'abc' is not a positive whole number" in err
    assert "nothing was stored" in err
    assert len(scigen.store().downstream_results()) == 3  # what was stored before is kept


def test_missing_file_and_empty_store_messages(scigen, tmp_path):
    status, _, err = scigen("downstream", "import", tmp_path / "nope.csv")
    assert status == 2 and "nope.csv: no such file" in err
    status, out, _ = scigen("downstream", "scaling")
    assert status == 0 and "scigen downstream import FILE" in out
    status, out, _ = scigen("downstream", "list")
    assert "no downstream results" in out


def test_provenance_option_names_the_stored_rows(scigen, tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text(OUTCOMES, encoding="utf-8")
    status, out, _ = scigen("downstream", "import", path, "--provenance", "lab run 7")
    assert status == 0 and "'lab run 7'" in out
    assert set(scigen.store().downstream_results()["provenance"]) == {"lab run 7"}
