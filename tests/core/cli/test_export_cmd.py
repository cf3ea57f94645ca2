"""``scigen export`` through the same entry point a user calls."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from tests.core.export import exportkit as kit


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return kit.export_workspace(tmp_path_factory.mktemp("cli-export") / "home").home


@pytest.fixture
def scigen(scigen_with, home):
    return scigen_with("core.cli.export_cmd", home)


def test_help_lists_the_options(scigen, capsys):
    with pytest.raises(SystemExit) as excinfo:
        scigen("export", "--help")
    assert excinfo.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--min-rinv", "--min-judge", "--exclude-blind-quizzes", "--format", "--eval-split", "--no-dedup"):
        assert flag in text


def test_verl_export_with_judge_thresholds(scigen, tmp_path):
    status, out, err = scigen("export", "--run", "gold", "--format", "verl", "--out", tmp_path / "v",
                              "--min-judge", "C&F=2,SP=2")
    assert status == 0, err
    assert "exported 1 items of run 'gold' as verl" in out
    assert "rejected, judge_cf below 2: 1" in out and "near-duplicates removed: 1" in out
    table = pq.read_table(tmp_path / "v" / "train.parquet")
    assert [row["uid"] for row in table.column("extra_info").to_pylist()] == [kit.GEOMETRY]


def test_json_output_blind_exclusion_no_dedup_and_contamination(scigen, tmp_path):
    status, out, _ = scigen("export", "--run", "gold", "--format", "hf", "--out", tmp_path / "h",
                            "--exclude-blind-quizzes", "--no-dedup", "--eval-split", "custom",
                            "--flag-contaminated", "--output", "json")
    assert status == 0
    summary = json.loads(out)
    assert summary["exported"] == 5 and summary["near_duplicates"] == {} and summary["blind_quizzes_excluded"] == 1
    assert summary["contamination"]["exact"] == 5 and summary["contamination_action"] == "flag"


def test_errors_are_one_line(scigen, tmp_path):
    status, _, err = scigen("export", "--run", "nope", "--format", "hf", "--out", tmp_path / "a")
    assert status == 2 and err.startswith("scigen export: error: no generation run 'nope'")
    status, _, err = scigen("export", "--run", "gold", "--format", "hf", "--out", tmp_path / "a", "--min-judge", "Q=1")
    assert status == 2 and "unknown judge dimension 'Q'" in err and len(err.strip().splitlines()) == 1
    status, _, err = scigen("export", "--run", "gold", "--format", "hf", "--out", tmp_path / "a",
                            "--eval-split", tmp_path / "missing.json")
    assert status == 2 and "no such file" in err
    status, _, err = scigen("export", "--run", "gold", "--format", "hf", "--out", tmp_path / "a", "--min-rinv", "2")
    assert status == 2 and "min_rinv must be between 0 and 1" in err
