"""The static report opens offline in Debian chromium: every chart renders with no network request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.export import reportkit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    from core.export.report import write_report
    from core.store import Store

    workspace = reportkit.copy_home(tmp_path_factory.mktemp("report") / "home")
    out = workspace.home.parent / "report.html"
    write_report(Store.open(workspace), workspace, out, title="Offline report")
    return out


def test_report_renders_offline_in_chromium(report_file):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

    attempted: list[str] = []

    def block_network(route):
        if not route.request.url.startswith(("file:", "data:", "about:")):
            attempted.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", block_network)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(report_file.as_uri(), wait_until="load")
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=30_000
            )
            plots = page.locator(".js-plotly-plot")
            expected = page.locator("div[id^='figure-']").count()
            assert plots.count() == expected >= 4
            for index in range(plots.count()):
                # each chart drew marks into its SVG (bars, points, heat cells or polygons)
                assert plots.nth(index).locator("svg.main-svg").count() >= 1
                assert plots.nth(index).locator("g.trace, g.hm, path.js-fill, g.points").count() >= 1
            images = page.locator(".gallery img")
            assert images.count() >= 4
            assert page.evaluate(
                "Array.from(document.querySelectorAll('.gallery img')).every(i => i.complete && i.naturalWidth > 0)"
            )
            assert page.locator(".badge.fail").count() >= 1 and page.locator(".badge.pass").count() >= 1
            assert "broken <b>&" in page.inner_text("body")  # escaped text shows as text
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "report_offline.png"), full_page=True)
            page.locator(".gallery").first.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "report_offline_gallery.png"))
        finally:
            browser.close()
    assert attempted == [], f"the report tried to reach the network: {attempted}"
    assert errors == [], errors
