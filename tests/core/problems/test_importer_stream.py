"""``stream_problems``: one item at a time from JSONL, Parquet and JSON; a malformed item is
reported in its place (file, item, line, field) and the rest goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from core.problems.importer import FieldError, parse_file, stream_problems
from core.problems.models import Problem

GOOD = {"id": "a", "question": "A 2 kg block.", "subject": "Physics"}


def test_jsonl_malformed_lines_are_reported_with_file_line_and_field_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([
        json.dumps(GOOD),
        "{not json",
        json.dumps({"id": "c", "question": "", "subject": "Physics"}),
        "",
        json.dumps({"id": "d", "question": "A cell.", "image_type": "Biology - Cell Diagram"}),
        json.dumps({"id": "e", "question": "Untyped, no subject."}),
    ]) + "\n")
    items = list(stream_problems(path, "custom"))
    problems = [item for item in items if isinstance(item, Problem)]
    errors = [item for item in items if isinstance(item, FieldError)]
    assert [p.id for p in problems] == ["a", "d"]
    assert [(e.line, e.field) for e in errors] == [(2, None), (3, "question"), (6, "image_type")]
    assert str(errors[1]).startswith(f"{path}, item 2 (id 'c'), line 3, field 'question':")
    assert "invalid JSON" in errors[0].message


def test_parquet_rows_stream_with_their_row_number_as_line(tmp_path: Path) -> None:
    path = tmp_path / "problems.parquet"
    rows = [GOOD, {"id": "b", "question": "Q", "subject": "Nope"}, {**GOOD, "id": "c"}]
    pq.write_table(pa.Table.from_pylist(rows), path)
    items = list(stream_problems(path, "custom"))
    assert [item.id for item in items if isinstance(item, Problem)] == ["a", "c"]
    (error,) = [item for item in items if isinstance(item, FieldError)]
    assert (error.line, error.field) == (2, "subject")


def test_a_json_file_streams_the_same_problems_parse_file_returns(tmp_path: Path) -> None:
    path = tmp_path / "scigen.json"
    path.write_text(json.dumps([GOOD, {**GOOD, "id": "b", "answer": 3}]))
    assert list(stream_problems(path, "custom")) == parse_file(path, "custom").problems


def test_an_unreadable_file_is_one_error(tmp_path: Path) -> None:
    (error,) = list(stream_problems(tmp_path / "missing.jsonl"))
    assert isinstance(error, FieldError) and "cannot be read" in error.message
