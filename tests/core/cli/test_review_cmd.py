"""``scigen review export|import|agreement`` on a workspace with reviewable figures."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.dashboard import review_workspaces as rw


@pytest.fixture
def scigen(scigen_with, tmp_path: Path):
    home = rw.make_review_workspace(tmp_path / "home").home
    return scigen_with("core.cli.review_cmd", home)


def test_every_verb_has_help(scigen):
    for verb in ("export", "import", "agreement"):
        with pytest.raises(SystemExit) as exit_info:
            scigen("review", verb, "--help")
        assert exit_info.value.code == 0


def test_blank_sheet_filled_offline_then_imported(scigen, tmp_path: Path):
    sheet = tmp_path / "sheet.csv"
    status, out, _ = scigen("review", "export", "--run", "coder", "--plan", "stratified", "--size", "4",
                            "--reviewer", "ana@lab.org", "-o", sheet)
    assert status == 0 and "4 row(s)" in out
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8"))))
    assert len(rows) == 4 and all(row["question"] and row["judge_cf"] == "" for row in rows)
    for row in rows:
        row.update(judge_cf="2", judge_lp="1", judge_ro="1", judge_sp="0", judge_er="2", quiz_verdicts="0=readable")
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    status, out, _ = scigen("review", "import", sheet)
    assert status == 0 and "4 figure(s)" in out
    ratings = scigen.store().review_ratings(reviewer="ana@lab.org")
    assert len(ratings) == 20 and set(ratings["score"].astype(int)) == {0, 1, 2}
    status, out, _ = scigen("review", "export", "--run", "coder")
    assert status == 0 and out.count("ana@lab.org") == 4 and "0=readable" in out
    status, out, _ = scigen("review", "agreement", "--run", "coder")
    assert status == 0 and "judge-a" in out and "judge vs 1 reviewer on 4 items" in out


def test_a_bad_row_stores_nothing(scigen, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("run_id,problem_uid,reviewer,judge_cf,judge_lp,judge_ro,judge_sp,judge_er\n"
                   f"{rw.generation_run_id('coder')},custom:sample-physics-circuit-1,ana,3,1,1,1,1\n", encoding="utf-8")
    status, _, err = scigen("review", "import", bad)
    assert status != 0 and "line 2: judge_cf must be 0, 1, 2 or blank" in err
    assert scigen.store().review_ratings().empty
    status, _, err = scigen("review", "export", "--run", "nope")
    assert status != 0 and "no generation run 'nope'" in err
