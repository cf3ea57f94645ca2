"""SciGen Studio dashboard entrypoint: page config and routing only.

Every page is registered here explicitly; adding a page is one line in PAGES.
Run with ``streamlit run streamlit_app.py`` (``make run`` seeds the workspace first).
"""

import streamlit as st

from core.serving import viewer_mode
from dashboard.viewer import sign_in_gate

APP_TITLE = "SciGen Studio"

PAGES = {
    "Results": [
        st.Page("app_pages/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:", default=True),
        st.Page("app_pages/domains.py", title="Domains", icon=":material/grid_on:"),
        st.Page("app_pages/judge_radar.py", title="Judge radar", icon=":material/radar:"),
        st.Page("app_pages/correlations.py", title="Correlations", icon=":material/scatter_plot:"),
    ],
    "Use": [
        st.Page("app_pages/downstream.py", title="Downstream", icon=":material/trending_up:"),
        st.Page("app_pages/export.py", title="Export", icon=":material/download:"),
    ],
    "Data": [
        st.Page("app_pages/explorer.py", title="Explorer", icon=":material/search:"),
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:"),
        st.Page("app_pages/datasets.py", title="Datasets", icon=":material/dataset:"),
    ],
    "People": [
        st.Page("app_pages/review.py", title="Review", icon=":material/rate_review:"),
        st.Page("app_pages/arena.py", title="Arena", icon=":material/sports_mma:"),
    ],
    "Workbench": [
        st.Page("app_pages/generate.py", title="Generate", icon=":material/brush:"),
        st.Page("app_pages/jobs.py", title="Jobs", icon=":material/pending_actions:"),
    ],
}

# Pages never served in viewer mode, not even by URL: the Workbench starts jobs, calls models and
# runs code; Export writes into the workspace and reads a path the user types. (A comment, not a
# docstring: Streamlit's magic would draw a bare string on every page.)
NOT_IN_VIEWER = frozenset({"generate", "jobs", "export"})

st.set_page_config(page_title=APP_TITLE, page_icon="🔬", layout="wide")
sign_in_gate()
shared = viewer_mode()
served = {group: [p for p in pages if not (shared and p.url_path in NOT_IN_VIEWER)] for group, pages in PAGES.items()}
# expanded: all 13 pages listed (collapsed, Streamlit hides all but ten behind "View more").
page = st.navigation({group: pages for group, pages in served.items() if pages}, expanded=True)
st.sidebar.title(APP_TITLE)
st.sidebar.caption("Scientific figures from text problems, checked for correctness.")
if shared:
    st.sidebar.caption("Shared read-only: no jobs, no model calls; signed-in reviewers may save reviews.")
page.run()
