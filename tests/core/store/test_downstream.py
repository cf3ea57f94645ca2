"""Training outcomes: CSV validation (file, row, field named; a broken file stores nothing) and
the store writers (own provenance, idempotent re-import, published rows untouched)."""

from __future__ import annotations

import pytest

from core.seed import seed_workspace
from core.store import Store, StoreError, load_reported_results
from core.store.downstream import DownstreamCsvError, parse_downstream_csv, read_downstream_csv
from core.workspace import Workspace

GOOD = """source,train_samples,benchmark,accuracy,note
Gemini-ImgCoder,1000,GEO3K,62.0,
Gemini-ImgCoder,10000,GEO3K,65.1%,second size
Qwen-Image,1000,MathVision,40.5,
Qwen-Image,,MathVision,41.0,size unknown
"""


def _errors(text: str | bytes, name: str = "outcomes.csv") -> list[str]:
    with pytest.raises(DownstreamCsvError) as caught:
        parse_downstream_csv(text, name)
    return caught.value.errors


def test_a_valid_file_keeps_order_types_and_optional_columns(tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text(GOOD.replace("source", "\ufeffSource", 1), encoding="utf-8")  # BOM and case tolerated
    rows = read_downstream_csv(path)
    assert [(r.source, r.train_samples, r.benchmark, r.accuracy) for r in rows] == [
        ("Gemini-ImgCoder", 1000, "GEO3K", 62.0),
        ("Gemini-ImgCoder", 10000, "GEO3K", 65.1),
        ("Qwen-Image", 1000, "MathVision", 40.5),
        ("Qwen-Image", None, "MathVision", 41.0),
    ]
    assert rows[1].note == "second size" and rows[0].base_model is None


def test_every_bad_row_is_named_with_its_field():
    text = (
        "source,train_samples,benchmark,accuracy\n"
        "A,1000,GEO3K,sixty\n"
        "A,-5,GEO3K,50\n"
        "A,2.5,GEO3K,50\n"
        ",1000,GEO3K,101\n"
        "B,1000,GEO3K\n"
    )
    errors = _errors(text)
    assert errors == [
        "outcomes.csv: row 2: field 'accuracy': 'sixty' is not a number",
        "outcomes.csv: row 3: field 'train_samples': '-5' is not a positive whole number",
        "outcomes.csv: row 4: field 'train_samples': '2.5' is not a positive whole number",
        "outcomes.csv: row 5: field 'source': empty",
        "outcomes.csv: row 5: field 'accuracy': 101 is outside 0-100 (percent)",
        "outcomes.csv: row 6: 3 cells, the header has 4",
    ]


def test_header_problems_and_duplicates_are_explained():
    assert "missing column(s) train_samples" in _errors("source,benchmark,accuracy\nA,B,1\n")[0]
    assert "unknown column(s) 'acc'" in " ".join(_errors("source,train_samples,benchmark,accuracy,acc\n"))
    duplicate = _errors("source,train_samples,benchmark,accuracy\nA,10,B,1\nA,10,B,2\n")
    assert duplicate == ["outcomes.csv: row 3: source 'A', train_samples 10, benchmark 'B' repeats row 2"]
    assert _errors("source,train_samples,benchmark,accuracy\n") == ["outcomes.csv: no data rows below the header"]
    assert "empty file" in _errors("  \n")[0]


def test_a_file_that_is_not_a_csv_says_so():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    assert _errors(png, "chart.csv") == ["chart.csv: not a CSV text file (it holds binary data)"]
    assert "not a UTF-8 CSV text file" in _errors(b"source,\xff\xfe\n", "latin.csv")[0]


def test_several_sizes_of_one_source_and_benchmark_are_stored(store):
    counts = store.import_downstream("csv:outcomes.csv", parse_downstream_csv(GOOD, "outcomes.csv"))
    assert counts.rows == 4 and counts.previous == 0 and counts.changed
    frame = store.downstream_results()
    assert list(frame["train_samples"].astype("float").fillna(-1)) == [1000, 10000, 1000, -1]
    assert set(frame["provenance"]) == {"csv:outcomes.csv"}


def test_reimport_is_idempotent_and_replaces_only_its_provenance(store):
    rows = parse_downstream_csv(GOOD, "outcomes.csv")
    store.import_downstream("csv:outcomes.csv", rows)
    store.import_downstream("csv:other.csv", rows[:1])
    version = store.data_version()
    again = store.import_downstream("csv:outcomes.csv", rows)
    assert not again.changed and store.data_version() == version  # nothing written
    smaller = store.import_downstream("csv:outcomes.csv", rows[:2])
    assert smaller.changed and smaller.previous == 4
    frame = store.downstream_results()
    assert (frame["provenance"] == "csv:outcomes.csv").sum() == 2
    assert (frame["provenance"] == "csv:other.csv").sum() == 1
    assert store.delete_downstream("csv:other.csv") == 1
    assert store.delete_downstream("csv:other.csv") == 0


def test_published_rows_survive_imports_and_reseeding_keeps_imports(tmp_path):
    workspace = Workspace(tmp_path / "home")
    seed_workspace(workspace)
    store = Store.open(workspace)
    published = store.downstream_results()
    assert len(published) == 18 and published["train_samples"].isna().all()
    provenance = load_reported_results().provenance.label
    with pytest.raises(StoreError, match="belongs to published results"):
        store.import_downstream(provenance, parse_downstream_csv(GOOD, "x.csv"))
    store.import_downstream("csv:outcomes.csv", parse_downstream_csv(GOOD, "outcomes.csv"))
    seed_workspace(workspace, force=True)  # rewrites the paper's rows only
    frame = store.downstream_results()
    assert (frame["provenance"] == provenance).sum() == 18
    assert (frame["provenance"] == "csv:outcomes.csv").sum() == 4
