"""AppTest of the entrypoint: it routes to every registered page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app_pages.pagekit import ENTRYPOINT


def test_entrypoint_opens_the_leaderboard_and_switches_to_the_explorer(seeded_home):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60).run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Leaderboard"]
    assert at.sidebar.title[0].value == "SciGen Studio"

    at.switch_page("app_pages/explorer.py").run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Explorer"]
    assert len(at.dataframe) == 1 and "UID" in at.dataframe[0].value.columns
