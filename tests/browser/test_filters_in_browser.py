"""Filters, links and the item view, clicked through in Debian chromium.

A filter chosen in a widget narrows what the page shows and lands in the URL; opening that URL
in a fresh tab reproduces the view; an item opens with its image.
"""

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

PROBLEM_COUNT = re.compile(r"(\d+) problems? match")
FIGURE_COUNT = re.compile(r"(\d+) figures? of run")
MEASURED_RUN = "browser-reference"
PHYSICS_ITEM = "custom:sample-physics-mechanical-1"


def _count(app, pattern: re.Pattern) -> int:
    text = app.main().inner_text()
    found = pattern.search(text)
    assert found, f"{app.page.url}: no count matching {pattern.pattern!r} in the page:\n{text[:1500]}"
    return int(found.group(1))


def _choose(app, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox whose widget key is ``key`` and wait for the rerun."""
    app.main().locator(f".st-key-{key} [data-testid='stSelectbox']").click()
    choice = app.page.get_by_role("option", name=option, exact=True)
    app.rerun_after(choice.click)


def _download_csv(app, button) -> list[dict[str, str]]:
    before = app.runs.finished
    with app.page.expect_download() as download:
        button.click()
    data = download.value.path().read_bytes().decode("utf-8-sig")
    # A download button reruns the script unless it is set to on_click="ignore": let that run end.
    app.runs.wait_for_more_than(before, timeout_ms=1500)
    app.wait_until_done()
    return list(csv.DictReader(io.StringIO(data)))


def _loaded_images(locator) -> int:
    """How many of the matched <img> elements have finished loading real pixels."""
    return locator.evaluate_all("imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length")


def test_leaderboard_kind_chip_narrows_rows_and_goes_into_the_url(app):
    app.open("")
    everything = _download_csv(app, app.main().locator(".st-key-leaderboard_csv button"))
    kinds = {row.get("Kind") for row in everything}
    assert "pixel" in kinds and len(kinds) > 1, kinds

    chip = app.main().locator(".st-key-kind button").filter(has_text=re.compile(r"^pixel$"))
    app.rerun_after(chip.click)
    app.assert_no_exception()
    assert app.query_params().get("kind") == ["pixel"]
    pixel_only = _download_csv(app, app.main().locator(".st-key-leaderboard_csv button"))
    assert 0 < len(pixel_only) < len(everything)
    assert {row["Kind"] for row in pixel_only} == {"pixel"}
    app.screenshot("filter-leaderboard-kind-pixel")

    # The link alone reproduces the view in a fresh tab.
    fresh = app.page.context.new_page()
    try:
        fresh.goto(app.page.url)
        driver.wait_until_done(fresh)
        pressed = fresh.locator('.st-key-kind button[aria-pressed="true"]')
        assert [pressed.nth(i).inner_text().strip() for i in range(pressed.count())] == ["pixel"]
    finally:
        fresh.close()


def test_explorer_subject_filter_changes_the_count_and_the_url(app):
    app.open("explorer")
    app.assert_no_exception()
    total = _count(app, PROBLEM_COUNT)
    _choose(app, "subject", "Physics")
    app.assert_no_exception()
    physics = _count(app, PROBLEM_COUNT)
    assert 0 < physics < total
    assert app.query_params().get("subject") == ["Physics"]

    app.open("explorer?subject=Physics")
    assert _count(app, PROBLEM_COUNT) == physics
    assert app.main().locator(".st-key-subject input").input_value() == "Physics"
    app.screenshot("filter-explorer-physics")


def test_explorer_gallery_from_a_link_shows_thumbnails_of_the_run(app):
    app.open(f"explorer?run={MEASURED_RUN}&subject=Physics")
    app.assert_no_exception()
    figures = _count(app, FIGURE_COUNT)
    assert figures == 2  # two of the measured problems are Physics ones
    thumbnails = app.main().locator('[data-testid="stImage"] img')
    assert _loaded_images(thumbnails) >= figures
    app.screenshot("explorer-gallery")


def test_explorer_item_view_shows_the_figure_and_its_quiz_answers(app):
    app.open(f"explorer?run={MEASURED_RUN}&uid={PHYSICS_ITEM}")
    app.assert_no_exception()
    main = app.main()
    assert main.get_by_text(PHYSICS_ITEM, exact=True).first.is_visible()
    figure_panel = main.locator('[data-testid="stTabs"] [role="tabpanel"]').first
    assert "Generated figure" in figure_panel.inner_text()
    assert _loaded_images(figure_panel.locator('[data-testid="stImage"] img')) >= 1

    quiz_tab = main.get_by_role("tab", name=re.compile(r"^Quiz answers"))
    quiz_tab.click()
    answers = main.locator('[data-testid="stTabs"] [role="tabpanel"]:visible')
    assert answers.first.inner_text().strip(), "the quiz-answers tab is empty"
    app.screenshot("explorer-item")


def test_explorer_open_button_switches_the_item_and_the_link(app):
    app.open(f"explorer?run={MEASURED_RUN}&subject=Physics")
    # Tiles' buttons (a selectbox's toggle is also labelled "Open" for screen readers).
    opens = app.main().locator('[data-testid="stButton"] button').filter(has_text=re.compile(r"^Open$"))
    assert opens.count() >= 2
    app.rerun_after(opens.nth(1).click)
    app.assert_no_exception()
    opened = app.query_params().get("uid", [None])[0]
    assert opened and opened.startswith("custom:sample-physics-"), app.page.url
    assert app.main().get_by_text(opened, exact=True).first.is_visible()
