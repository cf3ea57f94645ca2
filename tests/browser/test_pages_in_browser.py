"""Every page registered in streamlit_app.py opens in Debian chromium with real content and no error."""

from __future__ import annotations

import pytest

from tests.browser import streamlit_driver as driver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(driver.chromium_missing_reason() is not None, reason=str(driver.chromium_missing_reason())),
]

PAGES = driver.registered_pages()
# What a page draws besides its header: a page showing only its title is broken.
CONTENT = (
    '[data-testid="stDataFrame"], [data-testid="stPlotlyChart"], [data-testid="stImage"], '
    '[data-testid="stTable"], [data-testid="stAlert"], [data-testid="stMetric"], [data-testid="stVegaLiteChart"]'
)
# page_icon=":material/..." makes Streamlit's frontend fetch the favicon from Google's CDN.
STREAMLIT_FAVICON_CDN = "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/"


def test_sidebar_links_every_registered_page(app):
    app.open("")
    links = app.page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')
    # A link's text is its material icon's name, then its title.
    shown = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]
    assert sorted(shown) == sorted(page.title for page in PAGES)
    app.assert_no_exception()


@pytest.mark.parametrize("registered", PAGES, ids=[page.url_path for page in PAGES])
def test_page_renders_content_without_error(app, registered):
    app.open(registered.route)
    app.assert_no_exception()
    assert app.header(), f"{registered.script} shows no header"
    assert app.main().locator(CONTENT).count() > 0, f"{registered.script} shows nothing but text"
    app.screenshot(f"page-{registered.url_path}")
    # Nothing but that favicon may try to leave loopback.
    reaching_out = [url for url in app.offline_attempts if not url.startswith(STREAMLIT_FAVICON_CDN)]
    assert reaching_out == [], f"{registered.script} tried to reach the network: {reaching_out}"


def test_sidebar_navigation_switches_pages_in_one_session(app):
    """Clicking each sidebar link runs that page in the same session, and the URL follows."""
    app.open("")
    for registered in [*PAGES[1:], PAGES[0]]:
        link = app.page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').filter(
            has_text=registered.title
        )
        app.rerun_after(link.first.click)
        app.assert_no_exception()
        assert app.path() == "/" + registered.route, registered.title


def test_a_deep_link_as_the_first_visit_gets_the_apps_navigation(measured_workspace, browser_context, tmp_path):
    """A link shared while the server restarted must still open inside the app's navigation.

    Streamlit would treat a folder named `pages/` beside the main script as a v1 multipage app
    until the main script had called st.navigation once in that server process: a first visit
    straight to a page's URL would run that file alone (file-name sidebar, no page config) for
    every later session too. The page files live in `app_pages/` so that never happens."""
    env = {"SCIGEN_HOME": str(measured_workspace.home), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "MPLBACKEND": "Agg"}
    deep = next(page for page in PAGES if not page.default)
    with driver.streamlit_server(driver.APP_SCRIPT, env=env, log_path=tmp_path / "streamlit.log") as server:
        page = browser_context.new_page()
        try:
            attempted: list[str] = []
            driver.keep_offline(page, attempted)
            page.goto(f"{server.base_url}/{deep.route}")
            driver.wait_until_done(page)
            links = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')
            shown = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]
            assert sorted(shown) == sorted(p.title for p in PAGES), (
                f"opening /{deep.route} first shows the sidebar {shown}: the app's st.navigation never ran "
                "(is there a pages/ folder beside streamlit_app.py again? Streamlit treats it as v1 pages)"
            )
        finally:
            page.close()
