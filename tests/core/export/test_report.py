"""The static report: one self-contained HTML file (no network sources, plotly.js embedded once,
every chart and thumbnail inlined, text escaped) built from offline runs and the paper's results."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from core.export.report import ReportError, build_report, thumbnail_data_uri, write_report
from core.store import Store
from core.workspace import Workspace
from tests.core.export import reportkit


class _Sources(HTMLParser):
    """Every src/href of the document, the data-URI images, and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[tuple[str, str]] = []
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.references.append((tag, value))
                if tag == "img":
                    self.images.append(value)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[str, object]:
    workspace = reportkit.copy_home(tmp_path_factory.mktemp("report") / "home")
    return build_report(Store.open(workspace), workspace, generated_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))


def _parse(document: str) -> _Sources:
    parser = _Sources()
    parser.feed(document)
    return parser


def test_the_report_is_self_contained(report):
    document, page = report
    parsed = _parse(document)
    remote = [(tag, ref) for tag, ref in parsed.references if re.match(r"(?i)\s*(https?:)?//", ref)]
    assert remote == []
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", document, re.I)
    assert all(tag == "img" and ref.startswith("data:image/") for tag, ref in parsed.references)
    assert len(document) > 3_000_000  # plotly.js itself is inlined (megabytes), not fetched
    assert document.count('charset="utf-8"') == 1


def test_plotly_bundle_is_inlined_once(report):
    document, page = report
    import plotly.offline

    bundle_head = plotly.offline.get_plotlyjs()[:200]
    assert document.count(bundle_head) == 1
    assert page.figures == document.count("Plotly.newPlot(") >= 5


def test_all_sections_and_figures_are_present(report):
    document, page = report
    parsed = _parse(document)
    text = " ".join(parsed.text)
    for heading in ("Leaderboard", "Measured in this workspace", "Reported (published)", "Domains",
                    "Judge radar", "Correlations", "Downstream utility", "Gallery", "Provenance"):
        assert f">{heading}<" in document, heading
    assert "Generated 2026-01-02 03:04 UTC" in text
    assert "arXiv 2601.17027" in text
    assert "100.00 [51.01, 100.00] (n=4)" in text  # measured pass@1 with its Wilson interval
    assert re.search(r"Pearson r = -?0\.\d+ \(p = [\d.e-]+\), Spearman ρ", text)
    assert "pass@k by subject and run" in document  # heatmap of the measured runs' per-subject numbers
    assert re.search(r"fit: \+3\.00 (/|\\u002f) decade", document)  # scaling fit of the imported outcomes
    assert 'id="figure-1"' in document and f'id="figure-{page.figures}"' in document
    assert page.notes == []  # every section had something to show


def test_gallery_inlines_small_thumbnails_with_pass_and_fail(report):
    document, page = report
    parsed = _parse(document)
    kit = reportkit
    assert len(parsed.images) == page.thumbnails == 3 * len(kit.REPORT_UIDS) - 1  # one failed figure
    for uri in parsed.images:
        header, payload = uri.split(",", 1)
        assert header in ("data:image/png;base64", "data:image/jpeg;base64")
        raw = base64.b64decode(payload)
        assert len(raw) < 40_000
        from io import BytesIO

        from PIL import Image

        assert max(Image.open(BytesIO(raw)).size) <= 160
    assert document.count('class="card fail"') == 1
    assert "failed: runtime_error" in document and "rendered (not evaluated)" in document


def test_text_is_escaped(report):
    document, _ = report
    assert "broken &lt;b&gt;&amp;" in document
    assert "broken <b>&" not in document


def test_runs_filter_and_unknown_runs(tmp_path):
    workspace = reportkit.copy_home(tmp_path / "home")
    store = Store.open(workspace)
    document, page = build_report(store, workspace, runs=["reference"], title="Only <reference>")
    assert page.runs == 1 and "<title>Only &lt;reference&gt;</title>" in document
    assert ">reference — 4 figures<" in document and "text-card — " not in document
    assert "Reported (published)" in document and "No reported runs selected." in document
    with pytest.raises(ReportError, match="unknown run\\(s\\) 'nope'.*reference"):
        build_report(store, workspace, runs=["nope"])


def test_an_empty_workspace_still_writes_a_readable_report(tmp_path):
    workspace = Workspace(tmp_path / "empty").ensure()
    summary = write_report(Store.open(workspace), workspace, tmp_path / "out" / "report.html")
    document = summary.path.read_text(encoding="utf-8")
    assert summary.figures == 0 and "plotly" not in document.lower()
    assert "No runs yet" in document and summary.runs == 0


def test_unreadable_images_give_no_thumbnail(tmp_path):
    broken = tmp_path / "x.png"
    broken.write_bytes(b"not an image")
    assert thumbnail_data_uri(broken) is None
    assert thumbnail_data_uri(tmp_path / "missing.png") is None
