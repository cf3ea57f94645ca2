"""AppTest of app_pages/leaderboard.py over a seeded workspace."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.data.access import open_store
from dashboard.data.results import protocol_choices, protocol_ids
from tests.app_pages.pagekit import page_runner
from tests.dashboard import backend_workspaces as bw

run_page = page_runner("leaderboard.py")
MEASURED = "no protocol recorded"
"""The protocol picker's label (the URL holds it) of the fixture's measured runs, stored without one."""
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


def leaderboard_table(at: AppTest):
    return next(d.value for d in at.dataframe if "Model" in d.value.columns)


def test_shows_the_eleven_reported_runs_with_direction_marks(seeded_home):
    at = run_page()
    assert not at.exception
    table = leaderboard_table(at)
    assert set(table["Model"]) == REPORTED_MODELS
    assert set(table["Results"]) == {"reported"}
    assert {"R_inv (paper) % ↑", "FID ↓", "PSNR dB ↑", "SSIM ↑"} <= set(table.columns)
    assert table["Model"].iloc[0] == "Gemini-3-Pro-ImgCoder"  # ranked by the paper's R_inv, best first
    assert table["Rank"].tolist() == list(range(1, 12))
    shown = next(d for d in at.dataframe if "Model" in d.value.columns)
    assert shown.proto.placeholder == "—"  # a paper row without an interval shows a dash, not "None"
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


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def other_protocols_table(at: AppTest):
    return next(d.value for d in at.dataframe if "Protocol" in d.value.columns)


def test_measured_runs_with_intervals_and_their_tie_group(measured_home):
    at = run_page(protocol=MEASURED)
    assert not at.exception
    table = leaderboard_table(at)
    rows = table.set_index("Model")
    assert rows.at["gold", "Results"] == "measured" and "Nanobanana" not in rows.index
    assert "Nanobanana" in set(other_protocols_table(at)["Model"])  # the paper's protocol: shown apart
    assert rows.at["gold", "R_inv % ↑ CI"] == "75.00–95.00"
    assert (rows.at["gold", "Tie group"], rows.at["coder", "Tie group"]) == ("best", "tied")
    assert rows.at["pixel", "Tie group"] == ""
    assert {"C&F ↑", "pass@1 % ↑", "Cost USD ↓", "Evaluated by"} <= set(table.columns)
    assert "tie group on R_inv" in captions(at)
    assert at.download_button(key="leaderboard_csv") and at.download_button(key="bar_csv")


def test_subject_filter_shows_per_subject_numbers(measured_home):
    at = run_page(protocol=MEASURED)
    subject = at.selectbox(key="subject")
    assert subject.proto.query_param_key == "subject"
    subject.set_value("Physics").run()
    assert not at.exception
    rows = leaderboard_table(at).set_index("Model")
    assert list(rows.index) == ["gold", "coder", "pixel"]
    assert rows.at["coder", "R_inv % ↑"] == 60.0  # Physics only (80 overall)


def test_image_type_link_in_a_reported_only_workspace_says_what_to_run(seeded_home):
    at = run_page(subject="Math", type="Math - Plane Geometric")
    assert not at.exception
    assert any("scigen evaluate --run NAME --vqa ocr" in info.value for info in at.info)
    assert "11 reported runs hidden" in captions(at)


def test_results_source_and_group_filters(measured_home):
    at = run_page(protocol=MEASURED)
    results = at.pills(key="results")
    assert results.proto.query_param_key == "results"
    results.set_value(["measured"]).run()
    assert set(leaderboard_table(at)["Model"]) == {"gold", "coder", "pixel", "cards"}

    at = run_page(source="seephys", protocol=MEASURED)
    assert not at.exception
    assert list(leaderboard_table(at)["Model"]) == ["pixel"]

    at = run_page(groups="Judge", protocol=MEASURED)
    table = leaderboard_table(at)
    assert "C&F ↑" in table.columns and "R_inv % ↑" in table.columns  # the ranking metric stays
    assert "FID ↓" not in table.columns and "pass@1 % ↑" not in table.columns


def test_runs_of_two_protocols_never_share_a_rank_column_or_a_tie_group(protocol_home):
    from tests.dashboard.protocol_workspaces import IMPORTED_RUNS, OFFLINE_RUN

    at = run_page()
    assert not at.exception
    picker = at.selectbox(key="protocol")
    assert picker.proto.query_param_key == "protocol" and picker.value.startswith("SciGenBench paper (scigen)")
    ranked = leaderboard_table(at).set_index("Model")
    # the paper's rows and the matching imported runs share one rank column and one tie group
    assert set(IMPORTED_RUNS) <= set(ranked.index) and REPORTED_MODELS <= set(ranked.index)
    assert sorted(ranked["Rank"].tolist()) == list(range(1, 14))
    assert {ranked.at[name, "vs paper"] for name in IMPORTED_RUNS} == {"comparable to the paper"}
    assert ranked.at[IMPORTED_RUNS[0], "Tie group"] == "tied"  # the paper's best is inside its interval
    assert OFFLINE_RUN not in ranked.index
    apart = other_protocols_table(at)
    assert list(apart["Model"]) == [OFFLINE_RUN] and "Rank" not in apart.columns
    assert "Tie group" not in apart.columns

    offline = next(label for label in picker.options if label.startswith("custom (53 problems)"))
    picker.set_value(offline).run()
    assert not at.exception
    ranked = leaderboard_table(at)
    assert list(ranked["Model"]) == [OFFLINE_RUN] and ranked["Rank"].tolist() == [1]
    assert set(other_protocols_table(at)["Model"]) == REPORTED_MODELS | set(IMPORTED_RUNS)


def test_the_caption_says_what_the_paper_protocol_is_ranked_by(protocol_home):
    at = run_page(sort="R_inv")
    assert not at.exception
    # the paper publishes only its own R_inv, so its protocol is ranked by that one
    assert "Ranked by Perfect image rate within one protocol: **SciGenBench paper (scigen)" in captions(at)


def test_a_tikz_run_and_a_matplotlib_run_are_ranked_together_each_with_its_backend(tmp_path_factory, monkeypatch):
    home = bw.backend_workspace(tmp_path_factory.mktemp("backends"))
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    runs = open_store(str(home)).leaderboard()
    label = protocol_choices(runs)[protocol_ids(runs[runs["name"] == bw.TIKZ_RUN]).iloc[0]]
    at = run_page(protocol=label)
    assert not at.exception
    table = leaderboard_table(at)
    backend_of = dict(zip(table["Model"], table["Backend"], strict=True))
    assert backend_of[bw.MATPLOTLIB_RUN] == "Matplotlib" and backend_of[bw.TIKZ_RUN] == "TikZ"
