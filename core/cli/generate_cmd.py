"""``scigen generate`` (draw figures for a problem selection into a run) and ``scigen runs``."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from core.cli import CliError
from core.cli.progress import JobBar, sigterm_cancels_job

if TYPE_CHECKING:
    from core.jobs import GenerationSummary
    from core.models import ProfileConfig

DEFAULT_MODEL_GENERATOR = "imgcoder"
EXIT_BUDGET = 3
EXIT_INTERRUPTED = 130
RUN_KINDS = ("generation", "evaluation", "reported")


def _generators(*, needs_model: bool) -> dict[str, str]:
    """Registered generators that do (or do not) call a model: name -> label."""
    from core.generation import registered_generators

    return {
        name: cls.label or name for name, cls in registered_generators().items() if cls.needs_model == needs_model
    }


def register(subparsers: argparse._SubParsersAction) -> None:
    offline, model_backed = _generators(needs_model=False), _generators(needs_model=True)
    gen = subparsers.add_parser(
        "generate",
        help="draw the figures of a problem selection into a named run (resumable)",
        description=(
            "Generate one figure per selected problem into the run NAME. --model takes a profile "
            "name from scigen.toml or a raw LiteLLM model string (drawn by --generator, default "
            f"{DEFAULT_MODEL_GENERATOR}), or the name of an offline generator (no key needed): "
            + "; ".join(f"{name}: {label}" for name, label in offline.items())
            + ". Rerunning the same "
            "command resumes the run: only problems without a figure record run; a finished run does "
            "nothing; the same --run with another spec or selection is refused. Exit status: 0 "
            "finished, 2 error, 3 stopped on --max-cost (rerun with more budget to go on), 130 "
            "interrupted (rerun to resume)."
        ),
    )
    gen.add_argument(
        "--model", default=None, metavar="PROFILE|MODEL|" + "|".join(offline),
        help="a scigen.toml profile, a raw LiteLLM model string, or an offline generator's name",
    )
    gen.add_argument(
        "--generator", choices=[*model_backed, *offline], default=None,
        help="the generator: " + "; ".join(f"{name}: {label}" for name, label in {**model_backed, **offline}.items())
        + f" (default {DEFAULT_MODEL_GENERATOR} with --model MODEL)",
    )
    gen.add_argument("--run", required=True, metavar="NAME", help="name of the run (resume it by reusing the name)")
    select = gen.add_argument_group("problem selection (filters combine)")
    select.add_argument("--subject", default=None, help="one subject, e.g. Physics")
    select.add_argument("--type", dest="image_type", default=None, help="an image type, e.g. 'Physics - Circuit' or 'Circuit'")
    select.add_argument("--source", default=None, help="scigen, seephys or custom")
    select.add_argument("--ids", default=None, help="comma-separated problem uids (source:id) or ids")
    select.add_argument("--limit", type=int, default=None, help="at most N problems (in list order)")
    job = gen.add_argument_group("job")
    job.add_argument(
        "--concurrency", type=int, default=None,
        help="problems worked on at once (default: twice the profile's concurrency, or twice the CPU "
        "count offline); calls to a named profile never exceed its own concurrency; for a raw model "
        "string this also sets the call concurrency",
    )
    job.add_argument("--backend", default=None, metavar="NAME",
                     help="imgcoder and reference: how figures are drawn, matplotlib (default) or tikz")
    job.add_argument("--max-attempts", type=int, default=None, help="imgcoder: attempts per problem including repairs (default 3)")
    job.add_argument("--critique", action="store_true", help="imgcoder: visual self-critique with one revision (off by default)")
    job.add_argument("--max-cost", type=float, default=None, metavar="USD", help="stop cleanly before the run's model spend passes USD (what a resumed run spent counts)")
    job.add_argument("--no-cache", action="store_true", help="call the model even when the same request is cached")
    job.add_argument("--timeout", type=float, default=None, metavar="S", help="per-call model timeout in seconds (default: the profile's)")
    job.add_argument("--render-timeout", type=float, default=None, metavar="S", help="sandbox wall-clock limit per render (default 20)")
    job.add_argument("--retry-failed", action="store_true", help="also redo the problems stored as failed")
    job.add_argument("--config", default=None, help="profiles file (default: the usual scigen.toml search)")
    gen.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    gen.add_argument("--format", choices=("text", "json"), default="text", help="summary format (default: text)")
    gen.set_defaults(handler=run_generate)

    runs = subparsers.add_parser(
        "runs",
        help="list runs with progress, pass@1 / pass@k and cost",
        description="List the stored runs: state and progress of the job on each, figures ok/failed, "
        "pass@1 and pass@k (percent of figures whose first attempt / any attempt rendered), model cost.",
    )
    runs.add_argument("--kind", choices=RUN_KINDS, default=None, help="only runs of this kind")
    runs.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    runs.set_defaults(handler=run_runs)


# --------------------------------------------------------------------------------------------
# generate


def _open(args: argparse.Namespace):  # -> (Store, Workspace)
    from core.store import Store
    from core.workspace import Workspace

    workspace = Workspace.from_env(getattr(args, "home", None)).ensure()
    return Store.open(workspace), workspace


def _selection(args: argparse.Namespace):  # -> ProblemSelection
    from core.cli.problems_cmd import resolve_image_type, resolve_subject
    from core.jobs import ProblemSelection
    from core.problems.models import SOURCES

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be a positive number")
    if args.source is not None and args.source not in SOURCES:
        raise CliError(f"unknown source {args.source!r}; expected one of: {', '.join(SOURCES)}")
    ids = tuple(part.strip() for part in (args.ids or "").split(",") if part.strip())
    if args.ids is not None and not ids:
        raise CliError("--ids is empty; give comma-separated problem uids or ids")
    return ProblemSelection(
        subject=resolve_subject(args.subject), image_type=resolve_image_type(args.image_type),
        source=args.source, ids=ids, limit=args.limit,
    )


def _profiles(args: argparse.Namespace) -> tuple[ProfileConfig, Any]:
    """The profile config with the model's profile adjusted by --timeout / --concurrency."""
    from core.models import ProfileConfig, ProfileError, load_profiles, resolve_model

    try:
        config = load_profiles(args.config, home=args.home)
        profile = resolve_model(args.model, config=config, home=args.home)
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    changes: dict[str, Any] = {}
    if args.timeout is not None:
        if not args.timeout > 0:
            raise CliError("--timeout must be > 0 seconds")
        changes["timeout_s"] = float(args.timeout)
    if args.concurrency is not None and profile.is_raw:
        changes["concurrency"] = max(1, args.concurrency)
    if changes:
        profile = profile.with_overrides(**changes)
        # Registered under the name the generator asks for, so every call uses these settings.
        config = ProfileConfig(config.path, {**config.profiles, profile.name: profile}, config.errors, config.defaults)
    return config, profile


def build_spec(args: argparse.Namespace):  # -> (GeneratorSpec, ProfileConfig | None)
    from core.generation.base import GeneratorSpec
    from core.jobs import JobError, prepare_spec

    if args.max_attempts is not None and args.max_attempts < 1:
        raise CliError("--max-attempts must be >= 1")
    if args.render_timeout is not None and not args.render_timeout > 0:
        raise CliError("--render-timeout must be > 0 seconds")
    render = {} if args.render_timeout is None else {"timeout_s": float(args.render_timeout)}
    if args.backend is not None:
        from core.generation.backends import get_backend

        try:
            get_backend(args.backend)
        except ValueError as exc:
            raise CliError(f"--backend: {exc}") from None
        render["backend"] = args.backend  # the generator refuses it when it draws no code
    offline = _generators(needs_model=False)
    if args.model is None and args.generator not in offline:
        raise CliError("give --model (a profile or LiteLLM model string, or an offline generator's name)")
    if args.model in offline or (args.model is None and args.generator in offline):
        name = args.model or args.generator
        if args.generator is not None and args.generator != name:
            raise CliError(f"--generator {args.generator} needs a model; --model {args.model} is an offline generator")
        if args.critique or args.max_attempts is not None:
            raise CliError(f"--critique and --max-attempts are {DEFAULT_MODEL_GENERATOR} options; {name} is offline")
        spec, config = GeneratorSpec.create(name, **render), None
    else:
        generator = args.generator or DEFAULT_MODEL_GENERATOR
        if generator in offline:
            raise CliError(f"--generator {generator} is offline and takes no --model")
        params: dict[str, Any] = {"model": args.model}
        if generator == DEFAULT_MODEL_GENERATOR:
            params.update(render)
            if args.max_attempts is not None:
                params["max_attempts"] = args.max_attempts
            if args.critique:
                params["critique"] = True
        elif args.critique or args.max_attempts is not None or render:
            raise CliError(
                f"--critique, --max-attempts, --render-timeout and --backend are {DEFAULT_MODEL_GENERATOR} "
                f"options, not {generator} ones"
            )
        config, _ = _profiles(args)
        spec = GeneratorSpec.create(generator, **params)
    try:
        return prepare_spec(spec, profiles=config, home=args.home), config
    except JobError as exc:
        raise CliError(str(exc)) from None


async def _run_with_signals(**options: Any) -> GenerationSummary:
    from core.jobs import run_generation

    async with sigterm_cancels_job():  # stop like Ctrl-C: flush, record, exit
        return await run_generation(**options)


def run_generate(args: argparse.Namespace) -> int:
    from core.jobs import JobError, RunSpecMismatch
    from core.store import StoreError

    if not args.run.strip():
        raise CliError("--run must name the run")
    if args.concurrency is not None and args.concurrency < 1:
        raise CliError("--concurrency must be >= 1")
    if args.max_cost is not None and (not math.isfinite(args.max_cost) or args.max_cost < 0):
        raise CliError("--max-cost must be a number of USD >= 0")
    selection = _selection(args)
    spec, config = build_spec(args)
    store, workspace = _open(args)
    bar = JobBar(not args.no_progress, args.run, resumed="problems already done")
    try:
        summary = asyncio.run(
            _run_with_signals(
                store=store, workspace=workspace, run_name=args.run, spec=spec, selection=selection,
                concurrency=args.concurrency, max_cost_usd=args.max_cost, use_cache=not args.no_cache,
                retry_failed=args.retry_failed, profiles=config, on_start=bar.start, on_problem=bar.update,
            )
        )
    except RunSpecMismatch as exc:
        raise CliError(str(exc)) from None
    except (JobError, StoreError) as exc:
        raise CliError(str(exc)) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        bar.close()
        print(f"run {args.run!r} interrupted; finished figures are stored, rerun the same command to resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        bar.close()
    if args.format == "json":
        print(json.dumps(summary.model_dump(), indent=2))
    else:
        print(format_summary(summary, images=str(workspace.figure_path(args.run, "x").parent)))
    return EXIT_BUDGET if summary.stop_reason == "budget" else 0


def _percent(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}%"


def _counts(mapping: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(mapping.items(), key=lambda kv: (-kv[1], kv[0])))


def format_summary(summary: GenerationSummary, *, images: str) -> str:
    head = f"run {summary.run_name!r} ({summary.run_id}, {summary.generator}"
    head += f", {summary.model})" if summary.model else ")"
    lines = [f"{head}: {summary.state}" + (f" ({summary.stop_reason})" if summary.stop_reason else "")
             + f" — {summary.message}"]
    lines.append(
        f"  figures: {summary.done}/{summary.total} done, {summary.ok} ok, {summary.failed} failed; "
        f"this job stored {summary.ran}, {summary.skipped} were already done"
        + (f", {summary.incomplete} left for a resume" if summary.incomplete else "")
    )
    lines.append(f"  pass@1 {_percent(summary.pass_at_1)}  pass@k {_percent(summary.pass_at_k)}")
    if summary.failures:
        lines.append(f"  failures: {_counts(summary.failures)}")
    if summary.calls:
        calls = f"  model calls this job: {summary.calls} ({summary.cached_calls} cached)"
        if summary.failed_calls:
            calls += f"; failed: {_counts(summary.failed_calls)}"
        if summary.retried_requests:
            calls += f"; retried requests: {_counts(summary.retried_requests)}"
        lines.append(calls)
    lines.append(f"  cost: ${summary.job_cost_usd:.4f} this job, ${summary.cost_usd:.4f} for the run")
    lines.append(f"  images under {images}; {summary.wall_s:.1f} s")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# runs

_TABLE = (
    ("name", "name"), ("kind", "kind"), ("spec_name", "generator"), ("model", "model"), ("state", "state"),
    ("progress", "done"), ("ok", "ok"), ("failed", "failed"), ("pass_at_1", "pass@1"),
    ("pass_at_k", "pass@k"), ("cost_usd", "cost"),
)


def _cell(column: str, row: dict[str, Any]) -> str:
    value = row.get(column)
    if column == "progress":
        done, total = row.get("done"), row.get("total")
        if _missing(total):
            return "–"
        return f"{0 if _missing(done) else int(done)}/{int(total)}"
    if _missing(value):
        return "–"
    if column in ("pass_at_1", "pass_at_k"):
        return f"{float(value):.1f}%"
    if column == "cost_usd":
        return f"${float(value):.4f}"
    if column in ("ok", "failed"):
        return str(int(value))
    if column == "state" and row.get("stop_reason"):
        return f"{value} ({row['stop_reason']})"
    return str(value)


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA (which refuses to be a bool, so no ``value != value`` test)."""
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are never "missing" here
        return False


def format_runs(frame) -> str:
    records = frame.to_dict("records")
    rows = [[header for _, header in _TABLE]] + [[_cell(column, record) for column, _ in _TABLE] for record in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_TABLE))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows)


def run_runs(args: argparse.Namespace) -> int:
    from core.jobs import effective_state

    store, _ = _open(args)
    frame = store.runs_overview(args.kind)
    # A job killed without a chance to record its end still says "running": show what is true.
    frame["state"] = [
        effective_state(None if _missing(state) else state, None if _missing(pid) else int(pid),
                        None if _missing(host) else host)
        for state, pid, host in zip(frame["state"], frame["pid"], frame["host"], strict=True)
    ]
    if args.format == "json":
        print(frame.to_json(orient="records", date_format="iso", force_ascii=False, indent=2))
        return 0
    if frame.empty:
        print("no runs" + (f" of kind {args.kind}" if args.kind else "") + "; make one with 'scigen generate'")
        return 0
    print(format_runs(frame))
    return 0
