"""A small offline generation job started from the Jobs page runs in the background to the end,
its card follows it live, and its figures show up in the Explorer."""

from __future__ import annotations

import re

import pytest

from tests.browser import streamlit_driver as driver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(driver.chromium_missing_reason() is not None, reason=str(driver.chromium_missing_reason())),
]

JOB_RUN = "browser-job"
JOB_PROBLEMS = ("sample-physics-waveform-1", "sample-math-set-probability-1")
JOB_TIMEOUT_MS = 120_000


def test_offline_generation_job_runs_to_the_end_and_its_figures_open(app):
    from playwright.sync_api import expect

    app.open("jobs")
    app.assert_no_exception()
    form = app.main().locator('[data-testid="stForm"]').first
    assert "reference" in form.locator(".st-key-job_model input").input_value()  # the offline default
    form.locator(".st-key-job_run input").fill(JOB_RUN)
    form.locator(".st-key-job_ids input").fill(",".join(JOB_PROBLEMS))
    submit = form.get_by_role("button", name="Start the generation job")
    app.rerun_after(submit.click)
    app.assert_no_exception()
    expect(app.main().locator('[data-testid="stAlert"]').filter(has_text="Started job")).to_be_visible()

    # The card of the job polls the store every few seconds until the job ends.
    card_head = app.main().locator('[data-testid="stMarkdownContainer"]').filter(has_text=JOB_RUN)
    expect(card_head.filter(has_text=re.compile(r"\bfinished\b")).first).to_be_visible(timeout=JOB_TIMEOUT_MS)
    done = f"{len(JOB_PROBLEMS)} / {len(JOB_PROBLEMS)} done"
    expect(app.main().locator('[data-testid="stProgress"]').filter(has_text=done).first).to_be_visible()
    app.wait_until_done()
    app.assert_no_exception()
    app.screenshot("jobs-finished")

    app.open(f"explorer?run={JOB_RUN}")
    app.assert_no_exception()
    assert re.search(rf"{len(JOB_PROBLEMS)} figures of run", app.main().inner_text())
    images = app.main().locator('[data-testid="stImage"] img')
    loaded = images.evaluate_all("imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length")
    assert loaded >= len(JOB_PROBLEMS)
