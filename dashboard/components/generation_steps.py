"""The live step log of the Generate page: a ``st.status`` box written to as each step happens."""

from __future__ import annotations

import streamlit as st

from core.generation.base import GenerationStep
from dashboard.charts.generate import pipeline_caption, status_label, step_line, step_title
from dashboard.data import generate as data

LIVE_KEY = "live_figures"
"""session_state key: {(problem uid, generator choice key): LiveFigure}, oldest first."""
KEEP_FIGURES = 8


class StepLog:
    """Writes each reported step into an expanded status box and names the step in its label."""

    def __init__(self, choice: data.GeneratorChoice) -> None:
        self.choice = choice
        st.caption(pipeline_caption())
        self.box = st.status(f"Drawing with {choice.label} …", expanded=True)

    def __call__(self, step: GenerationStep) -> None:
        self.box.update(label=f"{step_title(step)}: {step.message}")
        self.box.markdown(step_line(step))

    def finish(self, live: data.LiveFigure) -> None:
        state = "complete" if live.status == "ok" else "error"
        self.box.update(
            label=status_label(live.status, live.seconds, self.choice.label), state=state, expanded=False
        )


def live_key(problem_uid: str, choice: data.GeneratorChoice) -> tuple[str, str]:
    return problem_uid, choice.key


def run_with_steps(problem, choice: data.GeneratorChoice) -> data.LiveFigure | None:
    """Generate now, streaming the steps; keeps the result in the session (reruns show it again)."""
    log = StepLog(choice)
    try:
        live = data.generate_live(problem, choice, on_step=log)
    except data.WorkbenchError as exc:
        log.box.update(label=f"Could not start: {exc}", state="error", expanded=False)
        st.error(str(exc))
        return None
    log.finish(live)
    kept = st.session_state.setdefault(LIVE_KEY, {})
    kept.pop(live_key(problem.uid, choice), None)
    kept[live_key(problem.uid, choice)] = live
    while len(kept) > KEEP_FIGURES:  # a long session keeps only its latest figures in memory
        kept.pop(next(iter(kept)))
    return live


def current_live(problem, choice: data.GeneratorChoice) -> data.LiveFigure | None:
    return st.session_state.get(LIVE_KEY, {}).get(live_key(problem.uid, choice))


def replay_steps(live: data.LiveFigure) -> None:
    """The finished step log, collapsed (after a rerun)."""
    state = "complete" if live.status == "ok" else "error"
    with st.status(status_label(live.status, live.seconds, live.choice.label), state=state, expanded=False):
        for step in live.steps:
            st.markdown(step_line(step))
