"""Protocols on the Leaderboard, clicked through in Debian chromium: the paper's rows are ranked
by themselves, the workspace's offline runs (their own protocol) are listed apart, and picking
their protocol ranks them instead and lands in the URL."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.browser import streamlit_driver as driver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(driver.chromium_missing_reason() is not None, reason=str(driver.chromium_missing_reason())),
]

OFFLINE_RUNS = {"browser-reference", "browser-text-card"}
APART = "Other protocols (not ranked with the above)"


def _ranked_rows(app) -> list[dict[str, str]]:
    before = app.runs.finished
    with app.page.expect_download() as download:
        app.main().locator(".st-key-leaderboard_csv button").click()
    data = download.value.path().read_bytes().decode("utf-8-sig")
    app.runs.wait_for_more_than(before, timeout_ms=1500)
    app.wait_until_done()
    return list(csv.DictReader(io.StringIO(data)))


def test_runs_of_two_protocols_never_share_a_rank_column(app):
    app.open("")
    app.assert_no_exception()
    paper = _ranked_rows(app)
    assert {row["Results"] for row in paper} == {"reported"} and len(paper) == 11
    assert sorted(int(row["Rank"]) for row in paper) == list(range(1, 12))
    assert APART in app.main().inner_text()  # the offline runs: shown, not ranked with the paper

    app.main().locator(".st-key-protocol [data-testid='stSelectbox']").click()
    offline = app.page.get_by_role("option", name=re.compile(r"^custom \(\d+ problems\); quizzes only; answered by ocr"))
    app.rerun_after(offline.first.click)
    app.assert_no_exception()
    assert app.query_params().get("protocol", [""])[0].startswith("custom (")
    ranked = _ranked_rows(app)
    assert {row["Model"] for row in ranked} == OFFLINE_RUNS
    assert sorted(int(row["Rank"]) for row in ranked) == [1, 2]
    assert APART in app.main().inner_text()  # now the paper's rows are the ones apart
    app.screenshot("leaderboard-offline-protocol")
