"""The Streamlit dashboard's building blocks: cached data access, charts and reusable widgets.

Pages (``app_pages/``) stay short by using only these: ``data`` is the one door to the store,
``charts`` turns frames into figures and tables, ``components`` holds widgets with their own state.
"""
