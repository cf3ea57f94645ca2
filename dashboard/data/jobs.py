"""Data for the Jobs page: starting background generation / evaluation jobs, their live progress,
cancel and resume, and the history of runs.

Jobs are separate processes (:mod:`core.jobs.launcher`); their progress is read from the store's
``run_progress`` rows, which carry the job's pid: a job's runs are the progress rows its process
started. Pure functions (``job_rows``, ``history_table``) are unit-tested; the accessors below
them are what the page calls.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from core.evaluation import registered_evaluators
from core.generation import registered_generators
from core.generation.backends import DEFAULT_BACKEND
from core.jobs import effective_state
from core.jobs.launcher import (
    EXIT_INTERRUPTED,
    JobHandle,
    JobInfo,
    cancel,
    evaluation_args,
    force_stop,
    generation_args,
    launch,
    list_jobs,
    read_log,
    relaunch,
)
from core.jobs.runs import JobError, selected_problems
from core.problems.selection import ProblemSelection, SelectionError
from core.store import RunProgress
from dashboard.data import run_backend_labels
from dashboard.data.access import cache_key, open_store, store, workspace
from dashboard.data.generate import (
    BackendOption,
    WorkbenchError,
    backend_options,
    model_setup,
    offline_choices,
)

EXIT_BUDGET = 3
RECENT_JOBS = 8
START_SLACK = timedelta(seconds=5)
"""A progress row counts as a job's when it started at most this long before the job (clocks)."""
FINISHED_STATES = ("finished", "cancelled", "failed", "stopped")


# ---- pure: jobs with their progress ---------------------------------------------------------------


@dataclass(frozen=True)
class RunBar:
    """One run a job works on, as a progress bar shows it."""

    run_id: str
    name: str
    state: str
    done: int
    total: int
    cost_usd: float
    message: str

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


@dataclass(frozen=True)
class JobRow:
    """A background job as the page shows it."""

    job_id: str
    verb: str
    run_name: str
    command: str
    started_at: datetime
    alive: bool
    state: str
    """starting | running | finished | cancelled | stopped on budget | failed | stopped | ended."""
    message: str
    runs: tuple[RunBar, ...]
    log_tail: str
    superseded: bool = False
    """A newer job runs the same command (resuming this one's run): this one is not resumed again."""

    @property
    def done(self) -> int:
        return sum(bar.done for bar in self.runs)

    @property
    def total(self) -> int:
        return sum(bar.total for bar in self.runs)

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else (1.0 if self.state == "finished" else 0.0)

    @property
    def cost_usd(self) -> float:
        return sum(bar.cost_usd for bar in self.runs)

    @property
    def can_cancel(self) -> bool:
        return self.alive

    @property
    def can_resume(self) -> bool:
        return not self.alive and not self.superseded and self.state != "finished"


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _last_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or [""])[-1][:400]


def _ended_state(info: JobInfo, bars: Sequence[RunBar], log: str) -> tuple[str, str]:
    code = info.exit_code
    last = bars[-1] if bars else None
    if code == 0:
        return "finished", last.message if last else "done"
    if code == EXIT_BUDGET:
        return "stopped on budget", "stopped before passing --max-cost; resume with more budget"
    if code == EXIT_INTERRUPTED or (last and last.state == "cancelled" and code is None):
        return "cancelled", (last.message if last else "") or "interrupted; resume to go on"
    if code is not None and code < 0:
        return "stopped", f"killed by signal {-code}; resume to go on"
    if code is not None:
        return "failed", _last_line(log) or f"exit status {code}"
    if last is not None:
        state = last.state if last.state in FINISHED_STATES else "stopped"
        return state, last.message
    return "ended", _last_line(log) or "the process ended before reporting progress"


def job_rows(
    jobs: Sequence[JobInfo],
    progress: Sequence[RunProgress],
    run_names: Mapping[str, str],
    logs: Mapping[str, str],
) -> list[JobRow]:
    """Each job with the progress rows its process wrote (same pid and host, started after the
    job), newest job first as given. ``run_names``: run_id -> name; ``logs``: job_id -> log tail."""
    rows: list[JobRow] = []
    newest_first = sorted(jobs, key=lambda info: info.handle.started_at, reverse=True)
    later: set[tuple[str, ...]] = set()
    superseded: set[str] = set()
    for info in newest_first:
        if info.handle.args in later:
            superseded.add(info.job_id)
        later.add(info.handle.args)
    for info in jobs:
        handle = info.handle
        since = _naive(handle.started) - START_SLACK
        mine = sorted(
            (
                p
                for p in progress
                if p.pid == handle.pid and (p.host in (None, handle.host)) and _naive(p.started_at) >= since
            ),
            key=lambda p: p.started_at,
        )
        bars = tuple(
            RunBar(
                run_id=p.run_id,
                name=run_names.get(p.run_id, p.run_id),
                state=effective_state(p.state, p.pid, p.host) or p.state,
                done=p.done,
                total=p.total,
                cost_usd=float(p.cost_usd or 0.0),
                message=p.message or "",
            )
            for p in mine
        )
        log = logs.get(info.job_id, "")
        if info.alive:
            state, message = ("running", bars[-1].message) if bars else ("starting", "starting the job …")
        else:
            state, message = _ended_state(info, bars, log)
        rows.append(
            JobRow(
                job_id=info.job_id,
                verb=handle.verb,
                run_name=handle.run_name,
                command=handle.command,
                started_at=handle.started,
                alive=info.alive,
                state=state,
                message=message,
                runs=bars,
                log_tail=log,
                superseded=info.job_id in superseded,
            )
        )
    return rows


# ---- pure: the run history --------------------------------------------------------------------------

HISTORY_COLUMNS = (
    "Run",
    "Kind",
    "Generator",
    "Backend",
    "Model",
    "State",
    "Progress",
    "Done",
    "Total",
    "OK",
    "Failed",
    "pass@1 %",
    "pass@k %",
    "Cost USD",
    "Calls",
    "Updated",
    "Message",
)


def _value(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def history_table(overview: pd.DataFrame, evaluations: pd.DataFrame) -> pd.DataFrame:
    """Generation and evaluation runs, newest first, with the state people should read
    (``effective_state``: a job that died reads ``stopped``). Reported runs are left out (the
    Leaderboard shows them). Evaluation runs count their evaluated figures as done."""
    frame = overview[overview["kind"] != "reported"] if "kind" in overview else overview
    if frame.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    items = dict(
        zip(
            evaluations.get("run_id", []),
            zip(evaluations.get("items", []), evaluations.get("ok", []), strict=True),
            strict=True,
        )
    )
    rows = []
    for row, backend in zip(frame.to_dict("records"), run_backend_labels(frame), strict=True):
        row = {key: _value(value) for key, value in row.items()}
        pid = int(row["pid"]) if row.get("pid") is not None else None
        state = effective_state(row.get("state"), pid, row.get("host")) or "no job yet"
        done, ok = row.get("done"), row.get("ok")
        if row["kind"] == "evaluation" and row["run_id"] in items:
            done, ok = items[row["run_id"]]
        total = row.get("total")
        failed = None if done is None or ok is None else int(done) - int(ok)
        rows.append(
            {
                "Run": row["name"],
                "Kind": row["kind"],
                "Generator": row.get("spec_name"),
                "Backend": backend,
                "Model": row.get("model"),
                "State": state,
                "Progress": (int(done) / int(total)) if done is not None and total else None,
                "Done": done,
                "Total": total,
                "OK": ok,
                "Failed": failed,
                "pass@1 %": row.get("pass_at_1"),
                "pass@k %": row.get("pass_at_k"),
                "Cost USD": row.get("cost_usd"),
                "Calls": row.get("calls"),
                "Updated": row.get("updated_at") or row.get("created_at"),
                "Message": row.get("message") or "",
            }
        )
    table = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    for column in ("Done", "Total", "OK", "Failed", "Calls"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    for column in ("Progress", "pass@1 %", "pass@k %", "Cost USD"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
    table["Updated"] = pd.to_datetime(table["Updated"], errors="coerce")
    return table.sort_values("Updated", ascending=False, na_position="last", kind="stable").reset_index(
        drop=True
    )


# ---- choices ---------------------------------------------------------------------------------------


def offline_generators() -> dict[str, str]:
    """Registered generators that need no model: name (a job's ``--model`` value) -> label."""
    return {choice.generator: choice.label for choice in offline_choices()}


def job_model_choices() -> dict[str, str]:
    """What a generation job can draw with: ``--model`` value -> label (model profiles first)."""
    setup = model_setup()
    models = {name: f"ImgCoder · {name} ({model})" for name, model in setup.profiles.items()}
    return {**models, **offline_generators()}


def job_backends() -> list[BackendOption]:
    """The drawing backends a generation job of ImgCoder or reference can use (each saying why
    it cannot draw here, if so)."""
    return backend_options()


def offline_metrics() -> dict[str, str]:
    """Registered evaluators that need no model and do not answer quizzes (the OCR answerer has
    its own checkbox): name -> label (the name when the evaluator declares none)."""
    return {
        name: cls.label or name
        for name, cls in registered_evaluators().items()
        if not cls.needs_model and "quiz_answers" not in cls.produces
    }


def answer_models() -> list[str]:
    """Profiles that can answer quizzes or judge."""
    return list(model_setup().profiles)


def generation_runs() -> list[str]:
    return _generation_runs(*cache_key())


@st.cache_data(show_spinner=False, max_entries=16)
def _generation_runs(home: str, version: str) -> list[str]:
    frame = open_store(home).list_runs("generation")
    return frame["name"].tolist() if "name" in frame else []


def job_selection(
    subject: str | None = None,
    image_type: str | None = None,
    source: str | None = None,
    ids: str | None = None,
    limit: int | None = None,
) -> ProblemSelection:
    """The selection a job form describes: ``ids`` as typed (commas or spaces), ``limit`` 0 or
    None for all; WorkbenchError for a value the selection refuses."""
    uids = tuple(part.strip() for part in re.split(r"[,\s]+", ids or "") if part.strip())
    try:
        return ProblemSelection(
            subject=subject, image_type=image_type, source=source, ids=uids, limit=limit or None
        )
    except ValueError as exc:
        raise WorkbenchError(str(exc)) from None


def selection_size(selection: ProblemSelection) -> int:
    """How many stored problems the selection holds (0 when none or an id is unknown)."""
    return _selection_size(*cache_key(), selection)


@st.cache_data(show_spinner=False, max_entries=64)
def _selection_size(home: str, version: str, selection: ProblemSelection) -> int:
    try:
        return len(open_store(home).select_problems(selection))
    except SelectionError:
        return 0


def default_run_name(model: str, selection: ProblemSelection) -> str:
    """``reference · subject=Physics limit=2`` when the user gave no name."""
    return f"{model} · {selection.describe()}"


# ---- starting, stopping -----------------------------------------------------------------------------


def start_generation(
    model: str,
    *,
    run_name: str = "",
    selection: ProblemSelection = ProblemSelection(),
    concurrency: int | None = None,
    max_cost_usd: float | None = None,
    max_attempts: int | None = None,
    retry_failed: bool = False,
    backend: str | None = None,
) -> JobHandle:
    """Launch ``scigen generate`` in the background; WorkbenchError when the selection is empty
    or an option is wrong (the job itself reports anything else in its log). ``backend`` applies
    to generators that draw code (ImgCoder, reference) and is left out for the others."""
    try:
        if not selected_problems(store(), selection):
            raise WorkbenchError(f"no problems match the selection ({selection.describe()})")
        offline = model in offline_generators()
        # A model profile draws with ImgCoder; an offline generator is named by ``model``.
        draws_code = not offline or registered_generators()[model].takes_backend
        backend = backend if draws_code and backend != DEFAULT_BACKEND else None
        args = generation_args(
            run_name.strip() or default_run_name(model, selection),
            model,
            selection,
            backend=backend,
            concurrency=concurrency,
            max_cost_usd=None if offline else max_cost_usd,
            max_attempts=None if offline else max_attempts,
            retry_failed=retry_failed,
        )
        return launch(args, workspace=workspace())
    except JobError as exc:
        raise WorkbenchError(str(exc)) from None


def start_evaluation(
    run_name: str,
    *,
    ocr: bool = False,
    vqa_model: str | None = None,
    judges: Sequence[str] = (),
    metrics: Sequence[str] = (),
    selection: ProblemSelection = ProblemSelection(),
    concurrency: int | None = None,
    max_cost_usd: float | None = None,
    retry_failed: bool = False,
) -> JobHandle:
    """Launch ``scigen evaluate`` on the generation run ``run_name`` in the background."""
    if ocr and vqa_model:
        raise WorkbenchError("choose OCR or a vision model to answer the quizzes, not both")
    try:
        args = evaluation_args(
            run_name,
            vqa="ocr" if ocr else vqa_model,
            judges=judges,
            metrics=metrics,
            selection=selection,
            concurrency=concurrency,
            max_cost_usd=max_cost_usd,
            retry_failed=retry_failed,
        )
        return launch(args, workspace=workspace())
    except JobError as exc:
        raise WorkbenchError(str(exc)) from None


def cancel_job(job_id: str) -> bool:
    return cancel(workspace(), job_id)


def force_stop_job(job_id: str) -> bool:
    return force_stop(workspace(), job_id)


def resume_job(job_id: str) -> JobHandle:
    try:
        return relaunch(workspace(), job_id)
    except JobError as exc:
        raise WorkbenchError(str(exc)) from None


# ---- live reads --------------------------------------------------------------------------------------


def jobs_now(limit: int = RECENT_JOBS) -> list[JobRow]:
    """The most recent jobs with their live progress (not cached: called every few seconds)."""
    jobs = list_jobs(workspace(), limit=limit)
    if not jobs:
        return []
    db = store()
    overview = db.runs_overview()
    pids = {info.handle.pid for info in jobs}
    names = dict(zip(overview["run_id"], overview["name"], strict=True))
    candidates = [
        run_id
        for run_id, pid in zip(overview["run_id"], overview["pid"], strict=True)
        if _value(pid) is not None and int(pid) in pids
    ]
    progress = [p for p in (db.run_progress(run_id) for run_id in candidates) if p is not None]
    logs = {info.job_id: read_log(info) for info in jobs}
    return job_rows(jobs, progress, names, logs)


def any_running(rows: Sequence[JobRow]) -> bool:
    return any(row.alive for row in rows)


def run_history(kind: str | None = None) -> pd.DataFrame:
    """Every generation / evaluation run with its state and numbers (cached per store version)."""
    table = _run_history(*cache_key())
    return table[table["Kind"] == kind].reset_index(drop=True) if kind else table


@st.cache_data(show_spinner=False, max_entries=8, ttl=30)
def _run_history(home: str, version: str) -> pd.DataFrame:
    db = open_store(home)
    return history_table(db.runs_overview(), db.evaluation_runs())
