"""The baseline of bench/dashboard_bench.py: the least a Streamlit page can be (served the same way)."""

import streamlit as st

st.header("Trivial page")
