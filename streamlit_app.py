"""SciGen Studio dashboard entrypoint: page config and routing only.

Every page is registered here explicitly; adding a page is one line in PAGES.
Run with ``streamlit run streamlit_app.py`` (``make run`` seeds the workspace first).
"""

import streamlit as st

APP_TITLE = "SciGen Studio"

PAGES = {
    "Results": [
        st.Page("pages/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:", default=True),
    ],
    "Data": [
        st.Page("pages/explorer.py", title="Explorer", icon=":material/search:"),
    ],
}

st.set_page_config(page_title=APP_TITLE, page_icon=":material/science:", layout="wide")
page = st.navigation(PAGES)
st.sidebar.title(APP_TITLE)
st.sidebar.caption("Scientific figures from text problems, checked for correctness.")
page.run()
