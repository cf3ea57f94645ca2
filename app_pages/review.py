"""Review: rate figures as the judge does (five dimensions 0-2, a verdict per quiz), one at a time,
blind to model scores until rated; then see how far the judges agree with people."""

import streamlit as st

from dashboard import viewer
from dashboard.components import review_panel as panel
from dashboard.data import review as data

st.header("Review")
runs = data.generation_runs()
if not runs:
    st.info("No generated figures to review yet: generate a run first (`scigen generate`).")
    st.stop()

reviewer = panel.reviewer_identity(viewer.signed_in_email(), sign_in=viewer.sign_in_mode())
may_save, why_not = viewer.may_save_reviews()
run_ids, plan, size, seed = panel.session_picker(runs)
if not reviewer or not run_ids:
    st.info("Type your name in the sidebar and pick at least one run to start (or resume) a review.")
    st.stop()
if plan == data.PAIRWISE and len(run_ids) != 2:
    st.info("Pick exactly two runs to compare their figures side by side.")
    st.stop()

session = (data.open_session if may_save else data.peek_session)(reviewer, run_ids, plan, size, seed)
if session is None or not session.items:
    st.info(why_not or "This plan finds no figure in these runs (e.g. no run has two judges); try another plan.")
    st.stop()
if why_not:
    st.warning(why_not)

position_key = f"review_position_{session.session_id}"
if position_key not in st.session_state:
    st.session_state[position_key] = min(data.resume_position(session), len(session.items) - 1)


@st.fragment
def rate() -> None:
    """The figure and its keys: a key press reruns only this part (quick), not the agreement below."""
    position = st.session_state[position_key]
    panel.navigation(position_key, position, len(session.items))
    if session.plan == data.PAIRWISE:
        pair = data.pair_item(session, position)
        panel.pair_panel(pair, (lambda picked: data.save_vote(session, pair, picked)) if may_save else None)
        return
    item = data.review_item(session, position)
    panel.rating_panel(item, (lambda s, v: data.save_marks(session, item, s, v)) if may_save else None)
    panel.revealed_scores(item, *data.machine_scores(item))


rate()
st.divider()
st.subheader("Judge vs people")
st.caption("As of this page's last full run: reload, or change a choice above, after rating to update it.")
panel.agreement_section(data.judge_check(run_ids), runs)
