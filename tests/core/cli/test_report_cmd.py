"""``scigen report`` through the entry point, with only this verb group."""

from __future__ import annotations

import pytest

from tests.core.export import reportkit


@pytest.fixture
def scigen(scigen_with):
    """``scigen --home HOME ARGS`` with only the report verb, called as ``scigen(home, *args)``."""
    runner = scigen_with("core.cli.report_cmd")
    return lambda home, *args: runner("--home", home, *args)


def test_help(scigen, tmp_path):
    with pytest.raises(SystemExit) as done:
        scigen(tmp_path, "report", "--help")
    assert done.value.code == 0


def test_writes_one_html_file_with_the_chosen_runs_and_title(scigen, tmp_path):
    workspace = reportkit.copy_home(tmp_path / "home")
    out = tmp_path / "site" / "report.html"
    status, stdout, _ = scigen(
        workspace.home, "report", "--out", out, "--runs", "reference", "text-card", "--title", "Lab <week 3>"
    )
    assert status == 0 and out.is_file()
    assert f"wrote {out}" in stdout and "2 runs" in stdout and "8 thumbnails" in stdout
    document = out.read_text(encoding="utf-8")
    assert "<title>Lab &lt;week 3&gt;</title>" in document
    assert ">text-card — 4 figures<" in document and "broken &lt;b&gt;" not in document
    assert list(out.parent.iterdir()) == [out]  # nothing written beside it


def test_user_errors_exit_2_with_one_line(scigen, tmp_path):
    workspace = reportkit.copy_home(tmp_path / "home")
    status, _, err = scigen(workspace.home, "report", "--out", tmp_path / "r.html", "--runs", "missing-run")
    assert status == 2 and "unknown run(s) 'missing-run'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()
    status, _, err = scigen(workspace.home, "report", "--out", tmp_path)
    assert status == 2 and "is a folder" in err
