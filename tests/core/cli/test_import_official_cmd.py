"""``scigen import-official``, through the same entry point a user calls, into a temp store."""

from __future__ import annotations

import pytest

from core.importing.official import run_names
from tests.core.importing.officialkit import official_summary, problems, write_official


@pytest.fixture
def scigen(scigen_with, tmp_path):
    run = scigen_with("core.cli.import_official_cmd", tmp_path / "home")
    run.store().upsert_problems(problems())
    return run


def test_help_names_the_files_and_the_rules(scigen, capsys):
    with pytest.raises(SystemExit) as stop:
        scigen("import-official", "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert stop.value.code == 0
    assert "RESULTS_DIR" in out and "--images IMAGES_DIR" in out and "{scigen,seephys}" in out
    assert "_detailed_evaluation.csv" in out and "judge means over rows with all five scores" in out


def test_imports_every_model_reports_what_it_left_out_and_changes_nothing_the_second_time(scigen, tmp_path):
    results, images = write_official(tmp_path / "official")

    status, out, _ = scigen("import-official", results, "--images", images)

    assert status == 1  # the corrupted image of alpha's problem 4 is reported
    assert "alpha-imgcoder: new, 6 figures" in out and "beta: new, 6 figures" in out
    assert "4.png: not a readable image" in out
    store = scigen.store()
    run = store.find_run("evaluation", run_names("scigen", "beta")[1])
    numbers = store.aggregates(run_id=run.run_id, scope="overall").set_index("metric")["value"]
    assert numbers["perfect_image_rate"] == pytest.approx(official_summary(results, "beta")["perfect_image_rate"])

    status, out, _ = scigen("import-official", results, "--images", images, "--model", "beta")
    assert status == 0 and "beta: unchanged" in out and "alpha" not in out


def test_an_unusable_folder_stores_nothing_and_says_why(scigen, tmp_path):
    status, _, err = scigen("import-official", tmp_path, "--dataset", "seephys")
    assert status == 2
    assert "no folder seephys/" in err and "nothing was stored" in err
    assert scigen.store().list_runs().empty
