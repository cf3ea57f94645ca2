"""dashboard.charts.generate: how the Generate page shows a plan."""

from __future__ import annotations

import pytest

from dashboard.charts.generate import plan_markdown


@pytest.mark.parametrize(
    "plan",
    [
        "Plan\nImage Content: a block.\nLayout: one axes.",
        "## Plan:\nImage Content: a block.\nLayout: one axes.",
        "**Plan:** Image Content: a block.\nLayout: one axes.",
        "**Step 1 - Plan**\nImage Content: a block.\nLayout: one axes.",
    ],
)
def test_the_models_plan_heading_is_dropped_and_each_line_stays_a_line(plan):
    assert plan_markdown(plan) == "Image Content: a block.  \nLayout: one axes."


def test_a_plan_that_starts_with_a_word_like_plan_is_kept_whole():
    assert plan_markdown("Planets orbit the star.") == "Planets orbit the star."


@pytest.mark.parametrize("plan", [None, "", "Plan\n"])
def test_no_plan_says_why(plan):
    assert plan_markdown(plan) == "*No plan: offline generators draw without one.*"
