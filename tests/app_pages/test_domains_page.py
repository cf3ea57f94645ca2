"""AppTest of app_pages/domains.py, through the entrypoint so its Explorer link resolves."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app_pages.pagekit import ENTRYPOINT


def open_domains(**query_params) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.query_params.update(query_params)
    at.switch_page("app_pages/domains.py")
    return at.run()


def cells(at: AppTest):
    return next(d.value for d in at.dataframe if "Explorer" in d.value.columns)


def click(at: AppTest, run: str, scope_value: str) -> AppTest:
    """What the browser sends when a cell's marker is clicked (st.plotly_chart selection state)."""
    at.session_state["domains_grid"] = {
        "selection": {"points": [{"x": run, "y": scope_value}], "point_indices": [0], "box": [], "lasso": []}
    }
    return at.run()


def test_reported_only_workspace_says_how_to_get_breakdowns(seeded_home):
    at = open_domains()
    assert not at.exception
    assert [h.value for h in at.header] == ["Domains"]
    assert any("scigen evaluate" in info.value for info in at.info)


def test_heatmap_of_measured_runs_by_subject_with_counts_and_links(measured_home):
    at = open_domains()
    assert not at.exception
    chart = at.get("plotly_chart")[0].proto
    assert chart.id.endswith("domains_grid") and len(chart.selection_mode) == 2
    assert '"n=5' in chart.spec or "n=5" in chart.spec
    table = cells(at)
    assert set(table["Subject"]) == {"Math", "Physics"}
    assert set(table["Run"]) == {"gold", "coder", "pixel", "cards"}
    assert "explorer?run=coder&subject=Physics" in set(table["Explorer"])
    assert at.download_button(key="domains_csv")
    assert any("Click a cell" in c.value for c in at.caption)


def test_breaking_down_by_image_type_changes_the_rows(measured_home):
    at = open_domains()
    by = at.segmented_control(key="by")
    assert by.proto.query_param_key == "by"
    by.set_value("Image type").run()
    assert not at.exception
    table = cells(at)
    assert "Image type" in table.columns and "(untyped)" in set(table["Image type"])
    assert "Physics - Circuit" in set(table["Image type"])


def test_a_link_chooses_the_metric(measured_home):
    at = open_domains(metric="Correctness & Fidelity")
    assert not at.exception
    assert at.selectbox(key="metric").value == "Correctness & Fidelity"
    assert "C&F ↑" in cells(at).columns


def test_clicking_a_cell_offers_its_items_in_the_explorer(measured_home):
    at = click(open_domains(), "coder", "Physics")
    assert not at.exception
    link = at.get("page_link")[0].proto
    assert link.page == "explorer"
    assert link.query_string == "run=coder&subject=Physics"
    assert "5 items of coder · Physics" in link.label


def test_clicking_an_image_type_cell_passes_subject_and_type(measured_home):
    at = open_domains(by="Image type")
    at = click(at, "gold", "Physics - Circuit")
    assert not at.exception
    link = at.get("page_link")[0].proto
    assert link.query_string == "run=gold&subject=Physics&type=Physics+-+Circuit"


def test_one_protocol_per_grid(protocol_home):
    from tests.dashboard.protocol_workspaces import IMPORTED_RUNS, OFFLINE_RUN

    at = open_domains()
    assert not at.exception
    picker = at.selectbox(key="protocol")
    assert picker.value.startswith("SciGenBench paper (scigen)")  # the imported runs have breakdowns
    assert set(cells(at)["Run"]) == set(IMPORTED_RUNS)  # the offline run is another protocol
    picker.set_value(next(o for o in picker.options if o.startswith("custom (53 problems)"))).run()
    assert not at.exception
    assert set(cells(at)["Run"]) == {OFFLINE_RUN}
