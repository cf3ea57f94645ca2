"""SciGen Studio dashboard entrypoint: page config and routing only.

Every page is registered here explicitly; adding a page is one line in PAGES.
Run with ``streamlit run streamlit_app.py`` (``make run`` seeds the workspace first).
"""

import streamlit as st

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
    "Workbench": [
        st.Page("app_pages/generate.py", title="Generate", icon=":material/brush:"),
        st.Page("app_pages/jobs.py", title="Jobs", icon=":material/pending_actions:"),
    ],
}

st.set_page_config(page_title=APP_TITLE, page_icon="🔬", layout="wide")
page = st.navigation(PAGES)
st.sidebar.title(APP_TITLE)
st.sidebar.caption("Scientific figures from text problems, checked for correctness.")
page.run()
