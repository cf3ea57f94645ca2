"""Widgets of the Jobs page: the forms that start jobs, and the live cards with progress, cancel and resume."""

from __future__ import annotations

import streamlit as st

from core.problems.models import SOURCES
from core.problems.selection import ProblemSelection
from core.problems.taxonomy import ALL_IMAGE_TYPES, SUBJECTS
from dashboard.charts.jobs import progress_text, state_badge
from dashboard.data import jobs as data
from dashboard.data.generate import WorkbenchError

REFRESH_S = 2.0
ALL = "All"
DEFAULT_LIMIT = 10


def _pick(value: str) -> str | None:
    return None if value == ALL else value


def _selection_widgets(prefix: str, default_limit: int) -> ProblemSelection:
    columns = st.columns(4)
    subject = columns[0].selectbox("Subject", [ALL, *SUBJECTS], key=f"{prefix}_subject")
    image_type = columns[1].selectbox("Image type", [ALL, *ALL_IMAGE_TYPES], key=f"{prefix}_type")
    source = columns[2].selectbox("Source", [ALL, *SOURCES], key=f"{prefix}_source")
    limit = columns[3].number_input(
        "Limit (0: all)", min_value=0, value=default_limit, step=1, key=f"{prefix}_limit"
    )
    ids = st.text_input("Problem ids (optional, comma-separated uids or ids)", key=f"{prefix}_ids")
    return data.job_selection(
        subject=_pick(subject), image_type=_pick(image_type), source=_pick(source), ids=ids or None,
        limit=int(limit) or None,
    )


def _started(action, **options) -> None:
    try:
        handle = action(**options)
    except WorkbenchError as exc:
        st.error(str(exc))
        return
    st.success(f"Started job `{handle.job_id}`: `{handle.command}`")


def generation_job_form() -> None:
    """Model or offline generator, run name, problem selection, job options; starts on submit."""
    models = data.job_model_choices()
    with st.form("generation_job"):
        model = st.selectbox("Draw with", list(models), key="job_model", format_func=models.get)
        run_name = st.text_input(
            "Run name (reuse a name to resume that run; blank: automatic)", key="job_run"
        )
        backends = {option.name: option for option in data.job_backends()}
        backend = st.radio(
            "Draw in (ImgCoder and reference)", list(backends), key="job_backend", horizontal=True,
            format_func=lambda n: backends[n].label + (" (not available here)" if backends[n].unavailable else ""),
        )
        for option in backends.values():
            if option.unavailable:
                st.caption(f"{option.name}: {option.unavailable}")
        selection = _selection_widgets("job", DEFAULT_LIMIT)
        with st.expander("Options (model generators)"):
            columns = st.columns(3)
            concurrency = columns[0].number_input(
                "Concurrency (0: default)", min_value=0, value=0, key="job_conc"
            )
            max_cost = columns[1].number_input(
                "Max cost USD (0: no limit)", min_value=0.0, value=0.0, key="job_cost"
            )
            attempts = columns[2].number_input(
                "Attempts per problem", min_value=1, value=3, key="job_attempts"
            )
            retry = st.checkbox("Also redo problems stored as failed", key="job_retry")
        if st.form_submit_button("Start the generation job", type="primary"):
            _started(
                data.start_generation,
                model=model,
                run_name=run_name,
                selection=selection,
                concurrency=int(concurrency) or None,
                max_cost_usd=float(max_cost) or None,
                max_attempts=int(attempts),
                retry_failed=retry,
                backend=backend,
            )


def evaluation_job_form() -> None:
    """The generation run to score, the evaluators, a selection; starts ``scigen evaluate`` on submit."""
    runs = data.generation_runs()
    if not runs:
        st.info("No generation run to evaluate yet: start one in the first tab.")
        return
    models = data.answer_models()
    metric_labels = data.offline_metrics()
    with st.form("evaluation_job"):
        run_name = st.selectbox("Generation run", runs, key="eval_run")
        columns = st.columns(2)
        ocr = columns[0].checkbox("Answer the quizzes by OCR (offline)", value=not models, key="eval_ocr")
        vqa = columns[1].selectbox(
            "…or with a vision model",
            [None, *models],
            key="eval_vqa",
            format_func=lambda m: "—" if m is None else m,
        )
        judges = st.multiselect("Judges (5 dimensions)", models, key="eval_judges")
        metrics = st.multiselect(
            "Metrics (offline)",
            list(metric_labels),
            key="eval_metrics",
            format_func=metric_labels.get,
        )
        selection = _selection_widgets("eval", 0)
        with st.expander("Options"):
            max_cost = st.number_input(
                "Max cost USD (0: no limit)", min_value=0.0, value=0.0, key="eval_cost"
            )
            retry = st.checkbox("Also redo figures whose evaluation failed", key="eval_retry")
        if st.form_submit_button("Start the evaluation job", type="primary"):
            _started(
                data.start_evaluation,
                run_name=run_name,
                ocr=ocr,
                vqa_model=vqa,
                judges=judges,
                metrics=metrics,
                selection=selection,
                max_cost_usd=float(max_cost) or None,
                retry_failed=retry,
            )


def job_card(row: data.JobRow) -> None:
    with st.container(border=True):
        head, cancel_column, resume_column = st.columns([6, 1, 1])
        head.markdown(f"**{row.run_name}** · {row.verb} · {state_badge(row.state)}")
        head.caption(f"`{row.command}` · started {row.started_at:%Y-%m-%d %H:%M:%S} UTC")
        if row.can_cancel and cancel_column.button(
            "Cancel", key=f"cancel-{row.job_id}", help="Stop the job: what is finished stays stored"
        ):
            st.toast("Cancelling …" if data.cancel_job(row.job_id) else "The job had already ended")
        if row.can_resume and resume_column.button(
            "Resume", key=f"resume-{row.job_id}", help="Run the same command again: only what is missing runs"
        ):
            try:
                data.resume_job(row.job_id)
            except WorkbenchError as exc:
                st.error(str(exc))
            else:
                st.rerun()  # the new job's card replaces this one's buttons
        st.progress(row.fraction, text=progress_text(row.done, row.total, row.cost_usd))
        if len(row.runs) > 1:
            for bar in row.runs:
                st.caption(f"{bar.name}: {bar.done} / {bar.total} · {state_badge(bar.state)}")
        if row.message:
            st.caption(row.message)
        with st.expander("Log"):
            st.code(row.log_tail or "(nothing logged yet)", language="text")
            if row.alive and st.button(
                "Force stop", key=f"kill-{row.job_id}", help="Kill the job and its sandbox at once (SIGKILL)"
            ):
                data.force_stop_job(row.job_id)


def live_jobs() -> None:
    """The recent jobs, refreshed every few seconds while one runs (outside this, nothing polls)."""
    running = data.any_running(data.jobs_now())

    @st.fragment(run_every=REFRESH_S if running else None)
    def cards() -> None:
        rows = data.jobs_now()
        if not rows:
            st.info("No jobs yet: start one above. Jobs run in the background and survive page reloads.")
            return
        for row in rows:
            job_card(row)
        if running and not data.any_running(rows):
            st.rerun()  # the last job ended: refresh the history and stop polling

    cards()
