"""Inputs of the Generate page: the problem (pasted, picked or uploaded), how to draw it, saving it."""

from __future__ import annotations

import streamlit as st

from core.problems.markup import to_markdown
from core.problems.models import Problem
from core.problems.selection import ProblemSelection
from dashboard.data import generate as data

MODES = ("Paste", "Pick from the store", "Upload a file")
QUIZZED_KEY = "quizzed_problems"
"""session_state key: {uid: the problem with quizzes a model wrote on this page}."""
OFFERED_MODELS_KEY = "offered_model_choices"
"""session_state key: the model choices "Draw with" offered on the previous run (their keys)."""
UPLOAD_LIMIT_MB = 5


def _pasted() -> tuple[Problem | None, bytes | None]:
    question = st.text_area(
        "Problem text",
        key="question",
        height=140,
        placeholder="e.g. A block of mass 2 kg rests on a frictionless incline of 30°. Find its acceleration.",
    )
    columns = st.columns(2)
    subject = columns[0].selectbox("Subject", data.subjects(), key="paste_subject")
    image_type = columns[1].selectbox(
        "Image type (optional)",
        [None, *data.image_types(subject)],
        key="paste_type",
        format_func=lambda value: "— none —" if value is None else value,
    )
    reference = st.file_uploader(
        "Reference figure (optional: kept with the problem when you save it)",
        type=["png", "jpg", "jpeg", "webp"],
        key="reference_upload",
        max_upload_size=UPLOAD_LIMIT_MB,
    )
    reference_png = None
    if reference is not None:
        try:
            reference_png = data.read_uploaded_image(reference.name, reference.getvalue())
            st.image(reference_png, caption="Reference figure", width=240)
        except data.WorkbenchError as exc:
            st.error(str(exc))
    if not question.strip():
        return None, reference_png
    try:
        return data.pasted_problem(question, subject, image_type), reference_png
    except data.WorkbenchError as exc:
        st.error(str(exc))
        return None, reference_png


def _picked() -> Problem | None:
    columns = st.columns([1, 2])
    subject = columns[0].selectbox(
        "Subject",
        [None, *data.subjects()],
        key="pick_subject",
        format_func=lambda value: "All" if value is None else value,
    )
    search = columns[1].text_input("Search", key="pick_search", placeholder="text in the question, or an id")
    uids = data.problem_options(ProblemSelection(subject=subject, search=search))
    if not uids:
        st.info("No stored problem matches. Run `scigen init` for the bundled sample, or paste a problem.")
        return None
    uid = st.selectbox("Problem (uid)", uids, key="uid", bind="query-params")
    return data.stored_problem(uid)


def _uploaded() -> Problem | None:
    upload = st.file_uploader(
        "Problem file (SciGenBench-style JSON array or JSONL)",
        type=["json", "jsonl", "ndjson"],
        key="problem_upload",
        max_upload_size=UPLOAD_LIMIT_MB,
    )
    if upload is None:
        return None
    try:
        problems = data.read_uploaded_problems(upload.name, upload.getvalue())
    except data.WorkbenchError as exc:
        st.error(str(exc))
        return None
    by_uid = {problem.uid: problem for problem in problems}
    uid = st.selectbox(f"Problem ({len(problems)} in the file)", list(by_uid), key="upload_uid")
    return by_uid[uid]


def problem_input() -> tuple[Problem | None, bytes | None]:
    """The problem to draw (with quizzes written here, if any) and an uploaded reference figure."""
    mode = (
        st.segmented_control("Problem", MODES, default=MODES[0], key="mode", bind="query-params") or MODES[0]
    )
    reference_png = None
    if mode == MODES[0]:
        problem, reference_png = _pasted()
    elif mode == MODES[1]:
        problem = _picked()
    else:
        problem = _uploaded()
    if problem is None:
        return None, reference_png
    problem = st.session_state.get(QUIZZED_KEY, {}).get(problem.uid, problem)
    if mode != MODES[0]:
        with st.expander(f"{problem.uid} · {problem.subject.value} · {problem.image_type or 'untyped'}"):
            st.markdown(to_markdown(problem.question))
    return problem, reference_png


def generator_picker(setup: data.ModelSetup, problem: Problem) -> data.GeneratorChoice:
    """How to draw: a model profile (or typed model string) or an offline generator."""
    if setup.error:
        st.warning(f"Model profiles could not be read: {setup.error}")
    raw = st.text_input(
        "LiteLLM model string (optional)",
        key="raw_model",
        placeholder="e.g. openai/gpt-4o-mini or ollama/llava",
        help="Any LiteLLM model; its endpoint and key come from LiteLLM's usual environment variables.",
    )
    choices = data.generator_choices(setup, problem, raw_model=raw)
    by_key = {choice.key: choice for choice in choices}
    _select_new_model(choices)
    key = st.selectbox("Draw with", list(by_key), key="generator", format_func=lambda k: by_key[k].label)
    choice = _backend_picker(by_key[key])
    if choice.generator == "text-card":
        st.caption(
            "⚠️ **Adversarial baseline**: the text-card draws no diagram, only the question's given values "
            "as text. It shows how much a quiz metric can be passed without drawing anything."
        )
    return choice


def _backend_picker(choice: data.GeneratorChoice) -> data.GeneratorChoice:
    """"Draw in": Matplotlib or TikZ, for generators that draw code; a backend that cannot draw
    here (TeX absent) says so in one line and the others work."""
    if not choice.takes_backend:
        return choice
    options = {option.name: option for option in data.backend_options()}
    name = st.radio(
        "Draw in",
        list(options),
        key="backend",
        horizontal=True,
        format_func=lambda n: options[n].label + (" (not available here)" if options[n].unavailable else ""),
    )
    if options[name].unavailable:
        st.warning(options[name].unavailable)
    return data.with_backend(choice, name)


def _select_new_model(choices: list[data.GeneratorChoice]) -> None:
    """A model that was just typed (or configured) becomes the "Draw with" selection, so pressing
    Generate draws with it; the offline choices stay one click away, and picking one sticks until
    another model appears."""
    offered = [choice.key for choice in choices if not choice.offline]
    before = st.session_state.get(OFFERED_MODELS_KEY)
    new = [key for key in offered if before is not None and key not in before]
    if new:
        st.session_state["generator"] = new[-1]
    st.session_state[OFFERED_MODELS_KEY] = offered


def save_button(problem: Problem, reference_png: bytes | None) -> None:
    """ "Save to workspace" for a problem that is not stored yet (pasted or uploaded)."""
    if problem.source != "custom" or data.stored_problem(problem.uid) is not None:
        return
    if st.button(
        "Save to workspace", key="save_problem", help="Store this problem so jobs and the Explorer see it"
    ):
        uid = data.save_problem(problem, reference_png)
        st.success(f"Saved as `{uid}`: it is in the Explorer, and the Jobs page can run it (source custom).")


def remember_quizzes(problem: Problem) -> None:
    st.session_state.setdefault(QUIZZED_KEY, {})[problem.uid] = problem
