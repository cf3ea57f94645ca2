"""Background jobs: ``scigen generate`` / ``scigen evaluate`` as processes that outlive their caller.

The dashboard must not run a long job in its own script thread (a page rerun would stop it), so it
launches the CLI as a separate process in its own session, with the workspace's ``SCIGEN_HOME``::

    handle = launch(generation_args("gold", "reference", ProblemSelection(limit=2)), workspace=ws)
    list_jobs(ws)                   # newest first, with alive / exit code
    cancel(ws, handle.job_id)       # SIGTERM: the job flushes, records 'interrupted', exits 130
    relaunch(ws, handle.job_id)     # the same command again: jobs resume by design

Each job leaves two files in ``<home>/jobs/``: ``<job_id>.json`` (what was launched, by whom, when)
and ``<job_id>.log`` (its stdout and stderr); ``<job_id>.exit`` holds the exit status once a
process that this one launched has been reaped. Progress is not tracked here: the job writes it
to the store (``run_progress`` rows carry the job's pid), and readers take it from there.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.jobs.runs import JobError
from core.problems.selection import ProblemSelection
from core.serving import refuse_in_viewer
from core.workspace import PROJECT_ROOT, Workspace, safe_name

__all__ = [
    "JOB_VERBS",
    "JobHandle",
    "JobInfo",
    "cancel",
    "evaluation_args",
    "force_stop",
    "generation_args",
    "get_job",
    "jobs_dir",
    "launch",
    "list_jobs",
    "read_log",
    "relaunch",
]

JOB_VERBS: tuple[str, ...] = ("generate", "evaluate")
"""CLI verbs a background job may run."""
JOBS_FOLDER = "jobs"
LOG_TAIL_CHARS = 4000
EXIT_INTERRUPTED = 130

_JOB_ID = re.compile(r"^[A-Za-z0-9._-]+$")
# Popen objects of the jobs this process launched, so their exit status is collected (no zombies)
# and known exactly; jobs launched by another process are checked through their pid.
_CHILDREN: dict[str, subprocess.Popen] = {}
_CHILDREN_LOCK = threading.Lock()


def jobs_dir(workspace: Workspace) -> Path:
    """``<home>/jobs``: job records and logs."""
    return workspace.home / JOBS_FOLDER


@dataclass(frozen=True)
class JobHandle:
    """A launched job: what it runs and where its log goes (stored as ``<job_id>.json``)."""

    job_id: str
    verb: str
    """``generate`` or ``evaluate``."""
    run_name: str
    """The ``--run`` of the command (the generation run, for ``evaluate``)."""
    args: tuple[str, ...]
    """The ``scigen`` arguments after ``--home`` (the verb first)."""
    argv: tuple[str, ...]
    """The whole command line of the process."""
    pid: int
    home: str
    log_path: str
    started_at: str
    """ISO time (UTC) the process was started."""
    host: str = field(default_factory=socket.gethostname)
    cwd: str = ""
    """The folder the process runs in (where it looks for ``./scigen.toml``)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> JobHandle:
        data = json.loads(text)
        data["args"], data["argv"] = tuple(data["args"]), tuple(data["argv"])
        return cls(**data)

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)

    @property
    def command(self) -> str:
        """The command as a person would type it."""
        return "scigen " + " ".join(_quote(arg) for arg in self.args)


@dataclass(frozen=True)
class JobInfo:
    """A job as it stands now."""

    handle: JobHandle
    alive: bool
    exit_code: int | None
    """The process's exit status when known (None while running, or when another process
    launched it and it has ended)."""

    @property
    def job_id(self) -> str:
        return self.handle.job_id


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[A-Za-z0-9_./:=,@+-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


# ---- command lines ----------------------------------------------------------------------------
# Values are written ``--flag=value`` so that a value starting with "-" (a run named "-x") is
# never taken for an option.


def _selection_args(selection: ProblemSelection | None) -> list[str]:
    if selection is None:
        return []
    if selection.search:
        # Refused rather than dropped: the job would otherwise run over more problems than shown.
        raise JobError("a background job cannot select by search text (the CLI has no --search); use ids")
    args: list[str] = []
    for flag, value in (
        ("--subject", selection.subject),
        ("--type", selection.image_type),
        ("--source", selection.source),
    ):
        if value:
            args.append(f"{flag}={value}")
    if selection.ids:
        args.append("--ids=" + ",".join(selection.ids))
    if selection.limit is not None:
        args.append(f"--limit={selection.limit}")
    return args


def _number_args(options: Mapping[str, float | int | None]) -> list[str]:
    args: list[str] = []
    for flag, value in options.items():
        if value is not None:
            args.append(f"{flag}={value}")
    return args


def generation_args(
    run_name: str,
    model: str,
    selection: ProblemSelection | None = None,
    *,
    generator: str | None = None,
    backend: str | None = None,
    concurrency: int | None = None,
    max_cost_usd: float | None = None,
    max_attempts: int | None = None,
    retry_failed: bool = False,
    use_cache: bool = True,
) -> list[str]:
    """``scigen generate`` arguments: ``model`` is a profile, a LiteLLM model string, or
    ``reference`` / ``text-card``; ``generator`` picks ``pixel`` over the default imgcoder;
    ``backend`` the drawing backend of a generator that draws code (None: its default)."""
    if not run_name.strip():
        raise JobError("a run needs a name")
    if not model.strip():
        raise JobError("choose a model profile or an offline generator")
    args = ["generate", f"--run={run_name.strip()}", f"--model={model.strip()}", "--no-progress"]
    if generator:
        args.append(f"--generator={generator}")
    if backend:
        args.append(f"--backend={backend}")
    args += _selection_args(selection)
    args += _number_args(
        {"--concurrency": concurrency, "--max-cost": max_cost_usd, "--max-attempts": max_attempts}
    )
    if retry_failed:
        args.append("--retry-failed")
    if not use_cache:
        args.append("--no-cache")
    return args


def evaluation_args(
    run_name: str,
    *,
    vqa: str | None = None,
    judges: Sequence[str] = (),
    metrics: Sequence[str] = (),
    selection: ProblemSelection | None = None,
    concurrency: int | None = None,
    max_cost_usd: float | None = None,
    retry_failed: bool = False,
    use_cache: bool = True,
) -> list[str]:
    """``scigen evaluate`` arguments for the generation run ``run_name``: ``vqa`` is a model or
    ``ocr``, ``judges`` model profiles, ``metrics`` names such as psnr, ssim, figure-facts."""
    if not run_name.strip():
        raise JobError("choose the generation run to evaluate")
    if not (vqa or judges or metrics):
        raise JobError("choose at least one evaluator (quizzes, judge or metrics)")
    args = ["evaluate", f"--run={run_name.strip()}", "--no-progress"]
    if vqa:
        args.append(f"--vqa={vqa}")
    if judges:
        args.append("--judge=" + ",".join(judges))
    if metrics:
        args.append("--metrics=" + ",".join(metrics))
    args += _selection_args(selection)
    args += _number_args({"--concurrency": concurrency, "--max-cost": max_cost_usd})
    if retry_failed:
        args.append("--retry-failed")
    if not use_cache:
        args.append("--no-cache")
    return args


def _run_name(args: Sequence[str]) -> str:
    for index, arg in enumerate(args):
        if arg == "--run" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--run="):
            return arg.split("=", 1)[1]
    raise JobError("a job command needs --run NAME")


# ---- launching ------------------------------------------------------------------------------


def _new_job_id(verb: str, run_name: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{verb}-{safe_name(run_name)[:40]}-{secrets.token_hex(2)}"


def _reap(job_id: str, process: subprocess.Popen, exit_path: Path) -> None:
    code = process.wait()
    try:
        exit_path.write_text(str(code), encoding="utf-8")
    except OSError:  # the workspace went away; the job is over anyway
        pass
    with _CHILDREN_LOCK:
        _CHILDREN.pop(job_id, None)


def _job_environment(workspace: Workspace, env: Mapping[str, str] | None) -> dict[str, str]:
    """This process's environment plus ``env``, pointed at the workspace and the project's code."""
    environment = {**os.environ, **dict(env or {})}
    environment["SCIGEN_HOME"] = str(workspace.home)
    environment.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    environment.setdefault("MPLBACKEND", "Agg")
    environment["PYTHONUNBUFFERED"] = "1"  # the log shows progress as it happens
    path = environment.get("PYTHONPATH", "")
    environment["PYTHONPATH"] = str(PROJECT_ROOT) + (os.pathsep + path if path else "")
    return environment


def launch(
    args: Sequence[str],
    *,
    workspace: Workspace,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    python: str | None = None,
) -> JobHandle:
    """Start ``scigen <args>`` in the background on ``workspace`` and return at once.

    The process runs ``python -m core --home <home> <args>`` in a new session (a signal to the
    dashboard does not reach it), with ``SCIGEN_HOME`` set to the workspace, in ``cwd`` (default:
    this process's working folder, so it finds the same ``./scigen.toml`` profiles as its
    caller); stdout and stderr go to ``<home>/jobs/<job_id>.log``. ``env`` adds variables to this
    process's environment. Raises :class:`JobError` for a verb that is not a job or a command
    without ``--run``, and when a job of the same verb already runs on that run (two
    processes must not work on one run).
    """
    refuse_in_viewer("start a job")
    args = [str(arg) for arg in args]
    if not args or args[0] not in JOB_VERBS:
        raise JobError(f"a background job runs one of: {', '.join(JOB_VERBS)} (got {args[:1] or 'nothing'})")
    run_name = _run_name(args)
    workspace = workspace.ensure()
    for other in list_jobs(workspace):
        if other.alive and other.handle.verb == args[0] and other.handle.run_name == run_name:
            raise JobError(
                f"run {run_name!r} already has a running {args[0]} job ({other.job_id}); wait for it or cancel it"
            )
    folder = jobs_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    job_id = _new_job_id(args[0], run_name)
    log_path = folder / f"{job_id}.log"
    argv = [python or sys.executable, "-m", "core", "--home", str(workspace.home), *args]
    environment = _job_environment(workspace, env)
    started_at = datetime.now(UTC).isoformat()
    folder_to_run_in = str(Path(cwd if cwd is not None else os.getcwd()).resolve())
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(_quote(a) for a in ['scigen', *args])}\n".encode())
        log.flush()
        try:
            process = subprocess.Popen(
                argv,
                cwd=folder_to_run_in,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise JobError(f"could not start the job ({' '.join(argv[:3])}): {exc}") from None
    handle = JobHandle(
        job_id=job_id,
        verb=args[0],
        run_name=run_name,
        args=tuple(args),
        argv=tuple(argv),
        pid=process.pid,
        home=str(workspace.home),
        log_path=str(log_path),
        started_at=started_at,
        cwd=folder_to_run_in,
    )
    (folder / f"{job_id}.json").write_text(handle.to_json(), encoding="utf-8")
    with _CHILDREN_LOCK:
        _CHILDREN[job_id] = process
    threading.Thread(
        target=_reap,
        args=(job_id, process, folder / f"{job_id}.exit"),
        name=f"scigen-job-{job_id}",
        daemon=True,
    ).start()
    return handle


def relaunch(workspace: Workspace, job_id: str, *, env: Mapping[str, str] | None = None) -> JobHandle:
    """Run a job's command again (a new job): generation and evaluation resume where the run
    stopped. Raises :class:`JobError` when the job is unknown or still running."""
    refuse_in_viewer("start a job")
    info = get_job(workspace, job_id)
    if info is None:
        raise JobError(f"no job {job_id!r} in {jobs_dir(workspace)}")
    if info.alive:
        raise JobError(f"job {job_id} is still running; cancel it first")
    folder = info.handle.cwd if info.handle.cwd and Path(info.handle.cwd).is_dir() else None
    return launch(info.handle.args, workspace=workspace, env=env, cwd=folder)


# ---- reading ----------------------------------------------------------------------------------


def _cmdline(pid: int) -> tuple[str, ...] | None:
    """The process's command line from /proc (None where /proc is not there or it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return () if not Path("/proc/self").exists() else None
    except OSError:
        return None
    return tuple(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def _pid_alive(handle: JobHandle) -> bool:
    """The job's process still runs: its pid exists, is no zombie and, where /proc tells, runs
    the job's command line (so a reused pid is not taken for the job)."""
    if handle.host != socket.gethostname():
        return False
    try:
        os.kill(handle.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if _zombie(handle.pid):
        return False
    cmdline = _cmdline(handle.pid)
    if cmdline is None:
        return False
    return not cmdline or cmdline == handle.argv


def _info(handle: JobHandle, folder: Path) -> JobInfo:
    with _CHILDREN_LOCK:
        process = _CHILDREN.get(handle.job_id)
    if process is not None:
        code = process.poll()
        return JobInfo(handle, alive=code is None, exit_code=code)
    exit_path = folder / f"{handle.job_id}.exit"
    code: int | None = None
    if exit_path.is_file():
        try:
            code = int(exit_path.read_text().strip())
        except (OSError, ValueError):
            code = None
    alive = code is None and _pid_alive(handle)
    return JobInfo(handle, alive=alive, exit_code=code)


def get_job(workspace: Workspace, job_id: str) -> JobInfo | None:
    """One job by id, or None."""
    if not _JOB_ID.match(job_id):
        return None
    folder = jobs_dir(workspace)
    path = folder / f"{job_id}.json"
    if not path.is_file():
        return None
    try:
        handle = JobHandle.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return _info(handle, folder)


def list_jobs(workspace: Workspace, *, limit: int | None = None) -> list[JobInfo]:
    """The workspace's jobs, newest first (unreadable records are skipped)."""
    folder = jobs_dir(workspace)
    if not folder.is_dir():
        return []
    jobs: list[JobInfo] = []
    # Job ids start with their UTC start time, so names sort newest first without reading them.
    for path in sorted(folder.glob("*.json"), reverse=True):
        info = get_job(workspace, path.stem)
        if info is not None:
            jobs.append(info)
            if limit is not None and len(jobs) >= limit:
                break
    jobs.sort(key=lambda info: info.handle.started_at, reverse=True)
    return jobs


def read_log(info: JobInfo | JobHandle, max_chars: int = LOG_TAIL_CHARS) -> str:
    """The end of a job's log ('' when there is none yet)."""
    handle = info.handle if isinstance(info, JobInfo) else info
    try:
        with open(handle.log_path, "rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - max_chars))
            return log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


# ---- stopping -------------------------------------------------------------------------------


def _signal(workspace: Workspace, job_id: str, sig: signal.Signals, group: bool) -> bool:
    info = get_job(workspace, job_id)
    if info is None or not info.alive:
        return False
    try:
        if group:
            os.killpg(info.handle.pid, sig)  # the job leads its own session and process group
        else:
            os.kill(info.handle.pid, sig)
    except ProcessLookupError:
        return False
    return True


def cancel(workspace: Workspace, job_id: str) -> bool:
    """Ask a running job to stop (SIGTERM): it stores what is finished, records its run as
    cancelled / interrupted and exits; rerun it to resume. False when it was not running."""
    return _signal(workspace, job_id, signal.SIGTERM, group=False)


def force_stop(workspace: Workspace, job_id: str) -> bool:
    """Kill a job that does not stop (SIGKILL to its whole process group, sandbox included).
    What it stored is kept; its progress row then reads ``stopped`` (see ``effective_state``)."""
    return _signal(workspace, job_id, signal.SIGKILL, group=True)
