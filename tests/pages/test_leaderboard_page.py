"""AppTest of pages/leaderboard.py over a seeded workspace."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "leaderboard.py")
REPORTED_MODELS = {
    "HunyuanImage-3.0",
    "Qwen-Image",
    "GPT-Image-1",
    "Seedream-4.0",
    "Nanobanana",
    "Flux2-flex",
    "GPT-Image-1.5",
    "Nanobanana-Pro",
    "Qwen3-ImgCoder",
    "Gemini-3-Flash-ImgCoder",
    "Gemini-3-Pro-ImgCoder",
}


def run_page(**query_params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(query_params)
    return at.run()


def leaderboard_table(at: AppTest):
    return next(d.value for d in at.dataframe if "Model" in d.value.columns)


def test_shows_the_eleven_reported_runs_with_direction_marks(seeded_home):
    at = run_page()
    assert not at.exception
    table = leaderboard_table(at)
    assert set(table["Model"]) == REPORTED_MODELS
    assert set(table["Results"]) == {"reported"}
    assert {"R_inv % ↑", "FID ↓", "PSNR dB ↑", "SSIM ↑"} <= set(table.columns)
    assert table["Model"].iloc[0] == "Gemini-3-Pro-ImgCoder"  # ranked by R_inv, best first
    assert any("2601.17027" in caption.value for caption in at.caption)
    assert at.get("download_button") and at.get("plotly_chart")


def test_kind_filter_keeps_the_three_code_runs(seeded_home):
    at = run_page()
    kind = at.pills(key="kind")
    assert kind.proto.query_param_key == "kind"  # bound to the URL (the browser writes it)
    kind.set_value(["code"]).run()
    assert not at.exception
    table = leaderboard_table(at)
    assert len(table) == 3 and set(table["Kind"]) == {"code"}


def test_a_link_with_filters_reproduces_the_view(seeded_home):
    at = run_page(kind="pixel", sort="FID")
    table = leaderboard_table(at)
    assert len(table) == 8 and set(table["Kind"]) == {"pixel"}
    assert table["Model"].iloc[0] == "GPT-Image-1"  # lowest FID first: FID is lower-is-better
    assert at.selectbox(key="sort").value == "FID"


def test_empty_workspace_says_what_to_do(empty_home):
    at = run_page()
    assert not at.exception
    assert any("scigen init" in info.value for info in at.info)
