"""Generate: draw one problem live (Understand → Plan → Code → Render → Repair), then check it."""

import streamlit as st

from dashboard.components.generate_inputs import generator_picker, problem_input, save_button
from dashboard.components.generation_steps import current_live, replay_steps, run_with_steps
from dashboard.components.live_figure import evaluation_panel, show_live_figure
from dashboard.data import generate as data

st.header("Generate")
st.caption(
    "Paste a problem, pick a stored one or upload a problem file; choose a model or an offline generator; "
    "watch each step, then check the figure with quizzes and the judge. Nothing is stored unless you save it."
)

setup = data.model_setup()
problem, reference_png = problem_input()
if problem is None:
    st.info(
        "Paste a problem text above (choose its subject), pick one from the store, or upload a JSON/JSONL "
        "problem file to start."
    )
    st.stop()

if not setup.configured:
    st.info(data.HOW_TO_ADD_A_MODEL)
elif setup.unusable:
    st.caption("Not usable now: " + "; ".join(f"`{name}` {why}" for name, why in setup.unusable.items()))

choice = generator_picker(setup, problem)
if st.button("Generate the figure", type="primary", key="generate_figure"):
    live = run_with_steps(problem, choice)
else:
    live = current_live(problem, choice)
    if live is not None:
        replay_steps(live)

if live is None:
    st.caption("Nothing drawn yet for this problem with this generator: press **Generate the figure**.")
    save_button(problem, reference_png)
    st.stop()

show_live_figure(live)
evaluation_panel(problem, live, data.answerer_choices(setup, st.session_state.get("raw_model")))
st.divider()
save_button(problem, reference_png)
