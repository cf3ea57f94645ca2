"""Contamination: exact normalised question matches and 8-gram containment, with counts."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.export.contamination import (
    CONTAINMENT,
    EvalSplit,
    EvalSplitError,
    check_contamination,
    load_eval_split,
    word_ngrams,
)

LONG = ("A uniform ladder of length 5 m leans against a smooth wall making an angle of 60 degrees "
        "with the floor; find the friction force needed to keep it from slipping.")


def test_word_ngrams_use_the_normalised_text():
    assert word_ngrams("A B C", n=2) == word_ngrams("  a   b c ", n=2) == {("a", "b"), ("b", "c")}
    assert word_ngrams("too short", n=8) == set()


def test_exact_and_ngram_matches_are_counted_apart():
    split = EvalSplit("split", (("e1", LONG), ("e2", "What is 2 + 2?"), ("e3", "Unrelated text about cells.")))
    records = [
        ("exact", ("  a UNIFORM ladder of length 5 m leans against a smooth wall making an angle of 60 degrees "
                   "with the floor ; find the friction force needed to keep it from slipping.",)),
        ("padded", ("Consider this. " + LONG.replace("find the friction", "compute the friction")
                    + " Give your answer in newtons and explain each step of the reasoning carefully.",)),
        ("short", ("what is 2+2?",)),  # exact after normalisation (spaces around punctuation dropped)
        ("clean", ("A capacitor of 5 μF is charged to 12 V through a resistor; find the time constant.",)),
        ("prompt_only", ("Nothing alike here at all, a completely different question.", LONG)),
    ]
    report = check_contamination(records, split)
    assert report.exact == {"exact": "e1", "short": "e2", "prompt_only": "e1"}
    assert set(report.ngram) == {"padded"} and report.ngram["padded"][0] == "e1"
    assert report.ngram["padded"][1] >= CONTAINMENT
    assert report.contaminated == {"exact", "padded", "short", "prompt_only"}
    assert report.summary()["exact"] == 3 and report.summary()["ngram"] == 1 and report.summary()["split_items"] == 3


def test_low_overlap_is_not_contamination():
    words = LONG.split()
    half_changed = " ".join(w if i % 3 else w.upper() + "x" for i, w in enumerate(words))
    report = check_contamination([("r", (half_changed,))], EvalSplit("s", (("e", LONG),)))
    assert report.contaminated == set()


def test_split_files_in_every_supported_form(tmp_path):
    (tmp_path / "s.jsonl").write_text(
        json.dumps({"id": 7, "source": "scigen", "question": "Q one"}) + "\n\n"
        + json.dumps({"original_question": "Q two", "multimodal_question": "Q two mm"}) + "\n", encoding="utf-8")
    assert load_eval_split(str(tmp_path / "s.jsonl")).items == (
        ("scigen:7", "Q one"), ("line 3", "Q two"), ("line 3", "Q two mm"))
    (tmp_path / "s.json").write_text(json.dumps({"data": [{"id": "a", "question": "Q"}]}), encoding="utf-8")
    assert load_eval_split(str(tmp_path / "s.json")).items == (("a", "Q"),)
    (tmp_path / "s.txt").write_text("first question\n\nsecond question\n", encoding="utf-8")
    assert load_eval_split(str(tmp_path / "s.txt")).n_items == 2
    pq.write_table(pa.table({"id": ["x", "y"], "question": ["Q x", None]}), tmp_path / "s.parquet")
    assert load_eval_split(str(tmp_path / "s.parquet")).items == (("x", "Q x"),)


def test_bad_split_errors_name_the_file_and_place(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{"nope": 1}\n', encoding="utf-8")
    with pytest.raises(EvalSplitError, match=r"bad.jsonl, line 2: no question field"):
        load_eval_split(str(bad))
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(EvalSplitError, match=r"broken.jsonl, line 1: not JSON"):
        load_eval_split(str(broken))
    with pytest.raises(EvalSplitError, match="no such file, and not a stored problem source"):
        load_eval_split(str(tmp_path / "missing.jsonl"))


def test_a_stored_source_is_a_split(kit_store):
    split = load_eval_split("custom", kit_store)
    assert "custom:plain-incline" in {item_id for item_id, _ in split.items}
    with pytest.raises(EvalSplitError, match="no problems of source 'seephys'"):
        load_eval_split("seephys", kit_store)
