"""A second baseline of bench/dashboard_bench.py: a header and one tiny Plotly chart (the floor
for any page that draws a Plotly chart: the browser loads and starts plotly.js per tab)."""

import plotly.graph_objects as go
import streamlit as st

st.header("One chart")
st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])))
