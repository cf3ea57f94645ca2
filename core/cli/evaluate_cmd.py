"""``scigen evaluate``: score a generation run's figures (quizzes, judge, reference metrics).

Each evaluator option makes (or resumes) one evaluation run named ``"<run> · <evaluator>"``
(see :mod:`core.jobs.evaluation`); they run one after another, sharing one model client and one
``--max-cost`` budget.
"""

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
    from core.evaluation.base import EvaluatorSpec
    from core.jobs import EvaluationSummary

EXIT_BUDGET = 3
EXIT_INTERRUPTED = 130


def _evaluators(*, needs_model: bool) -> dict[str, str]:
    """Registered evaluators that do (or do not) call a model: name -> label."""
    from core.evaluation import registered_evaluators

    return {
        name: cls.label or name for name, cls in registered_evaluators().items() if cls.needs_model == needs_model
    }


def _listing(evaluators: dict[str, str]) -> str:
    return "; ".join(f"{name}: {label}" for name, label in evaluators.items())


def register(subparsers: argparse._SubParsersAction) -> None:
    offline, model_backed = _evaluators(needs_model=False), _evaluators(needs_model=True)
    ev = subparsers.add_parser(
        "evaluate",
        help="score a generation run's figures: quizzes (vqa/ocr), judge, reference metrics (resumable)",
        description=(
            "Score the figures of the generation run NAME. Each evaluator makes one evaluation run named "
            "'NAME · <evaluator>' (e.g. 'gold · ocr', 'gold · judge:a,b'); rerunning the same command "
            "resumes them (only figures without stored scores run) and recomputes their aggregates "
            "(95% bootstrap intervals clustered by problem). A figure that failed to render counts as "
            "failed: its quizzes are wrong and its judge scores 0. Model options take a profile name "
            "from scigen.toml or a raw LiteLLM model string. Exit status: 0 finished, 2 error, 3 stopped "
            "on --max-cost (rerun with more budget to go on), 130 interrupted (rerun to resume)."
        ),
    )
    ev.add_argument("--run", required=True, metavar="NAME", help="the generation run to score (see 'scigen runs')")
    what = ev.add_argument_group("evaluators (at least one)")
    what.add_argument(
        "--vqa", default=None, metavar="PROFILE|MODEL|ocr",
        help="inverse validation: a vision model answers each quiz from the image alone (options shuffled "
        "with --seed), or 'ocr' for the offline OCR answerer",
    )
    what.add_argument("--grader", default=None, metavar="PROFILE|MODEL",
                      help="model that maps free-text replies to an option (vqa, mmq; default: the answering model)")
    what.add_argument("--mmq", default=None, metavar="PROFILE|MODEL",
                      help="solve the problem's multimodal question from the image, graded against the answer")
    what.add_argument("--judge", default=None, metavar="PROFILE[,PROFILE]",
                      help="the 5-dimension LMM judge; with two or more judges their agreement is reported")
    what.add_argument(
        "--metrics", default=None, metavar="LIST",
        help=f"comma-separated offline evaluators, from {{{','.join(offline)}}} ({_listing(offline)}); "
        "reference figures are the problem's reference image, else its gold script rendered and cached",
    )
    what.add_argument(
        "--evaluator", action="append", default=[], metavar="NAME[=MODEL]",
        help=f"any registered evaluator by name, repeatable; NAME from {{{','.join(model_backed | offline)}}}, "
        f"with =MODEL (a profile or LiteLLM string) for those that call a model ({_listing(model_backed)})",
    )
    select = ev.add_argument_group("figure selection (filters combine; default: every figure of the run)")
    select.add_argument("--subject", default=None, help="one subject, e.g. Physics")
    select.add_argument("--type", dest="image_type", default=None, help="an image type, e.g. 'Physics - Circuit'")
    select.add_argument("--source", default=None, help="scigen, seephys or custom")
    select.add_argument("--ids", default=None, help="comma-separated problem uids (source:id) or ids")
    select.add_argument("--limit", type=int, default=None, help="at most N figures (in list order)")
    job = ev.add_argument_group("job")
    job.add_argument("--concurrency", type=int, default=None,
                     help="figures worked on at once (default: the model profile's concurrency, or twice the CPU count offline)")
    job.add_argument("--max-cost", type=float, default=None, metavar="USD",
                     help="stop cleanly before the model spend of these evaluation runs passes USD (earlier jobs count)")
    job.add_argument("--no-cache", action="store_true", help="call models even when the same request is cached")
    job.add_argument("--seed", type=int, default=0, help="seed of the vqa option shuffles (default 0; part of the run's name when not 0)")
    job.add_argument("--retry-failed", action="store_true", help="also redo figures whose evaluation failed or was unavailable")
    job.add_argument("--replace", action="store_true",
                     help="delete the evaluation runs these options name (and their scores) and score again")
    job.add_argument("--config", default=None, help="profiles file (default: the usual scigen.toml search)")
    ev.add_argument("--disagreements", type=int, default=5, metavar="N",
                    help="judge items with the most disagreement to list (default 5; 0: none)")
    ev.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    ev.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    ev.set_defaults(handler=run_evaluate)


# ----------------------------------------------------------------------------------------------


def _metric_names(text: str | None) -> list[str]:
    if text is None:
        return []
    offline = _evaluators(needs_model=False)
    names: list[str] = []
    for part in text.split(","):
        name = part.strip().lower().replace("_", "-")
        if not name:
            continue
        if name not in offline:
            raise CliError(f"--metrics: unknown metric {part.strip()!r}; choose from {', '.join(offline)}")
        if name not in names:
            names.append(name)
    if not names:
        raise CliError("--metrics is empty; give e.g. psnr,ssim")
    return names


def _named_specs(options: list[str]) -> list[EvaluatorSpec]:
    """``--evaluator NAME[=MODEL]`` options as specs (a model only where the evaluator calls one)."""
    from core.evaluation import registered_evaluators
    from core.evaluation.base import EvaluatorSpec

    known = registered_evaluators()
    specs = []
    for option in options:
        name, _, model = (part.strip() for part in option.partition("="))
        if name not in known:
            raise CliError(f"--evaluator: unknown evaluator {name!r}; choose from {', '.join(known)}")
        if known[name].needs_model and not model:
            raise CliError(f"--evaluator {name} calls a model: give it as {name}=PROFILE_OR_MODEL")
        if model and not known[name].needs_model:
            raise CliError(f"--evaluator {name} runs offline and takes no model")
        specs.append(EvaluatorSpec.create(name, model=model) if model else EvaluatorSpec.create(name))
    return specs


def build_specs(args: argparse.Namespace) -> list[EvaluatorSpec]:
    """One evaluator spec per option, in the order: vqa/ocr, mmq, judge, metrics."""
    from core.evaluation.base import EvaluatorSpec

    specs: list[EvaluatorSpec] = []
    grader = {"grader": args.grader.strip()} if args.grader and args.grader.strip() else {}
    if args.vqa is not None:
        model = args.vqa.strip()
        if not model:
            raise CliError("--vqa is empty; give a profile, a LiteLLM model string or 'ocr'")
        if model == "ocr":
            if grader:
                raise CliError("--grader applies to model answerers; --vqa ocr answers offline")
            specs.append(EvaluatorSpec.create("ocr"))
        else:
            specs.append(EvaluatorSpec.create("vqa", model=model, seed=args.seed, **grader))
    if args.mmq is not None:
        if not args.mmq.strip():
            raise CliError("--mmq is empty; give a profile or a LiteLLM model string")
        specs.append(EvaluatorSpec.create("mmq", model=args.mmq.strip(), **grader))
    if args.judge is not None:
        judges = [part.strip() for part in args.judge.split(",") if part.strip()]
        if not judges:
            raise CliError("--judge is empty; give one or more comma-separated profiles")
        if len(set(judges)) != len(judges):
            raise CliError(f"--judge names a judge twice: {args.judge}")
        specs.append(EvaluatorSpec.create("judge", judges=judges))
    specs.extend(EvaluatorSpec.create(name) for name in _metric_names(args.metrics))
    specs.extend(_named_specs(args.evaluator))
    if not specs:
        raise CliError("nothing to evaluate: give --vqa, --mmq, --judge, --metrics and/or --evaluator")
    return specs


def _profiles(args: argparse.Namespace, specs: list[EvaluatorSpec]) -> Any:
    """The profile config when a model evaluator is asked for (raw strings get --concurrency)."""
    from core.evaluation import evaluator_class
    from core.models import ProfileConfig, ProfileError, load_profiles, resolve_model

    models = [
        model for spec in specs
        for model in (*evaluator_class(spec.name).model_names(spec), spec.param("grader")) if model
    ]
    if not models:
        return None
    try:
        config = load_profiles(args.config, home=args.home)
        profiles = dict(config.profiles)
        for model in models:
            profile = resolve_model(model, config=config, home=args.home)
            if profile.is_raw and args.concurrency is not None:
                profiles[profile.name] = profile.with_overrides(concurrency=max(1, args.concurrency))
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    return ProfileConfig(config.path, profiles, config.errors, config.defaults)


async def _run_all(store, workspace, *, generation, specs, options, bar: JobBar, results: list) -> None:
    from core.jobs import evaluation_label, run_evaluation

    async with sigterm_cancels_job():  # stop like Ctrl-C: flush, record, exit
        for spec in specs:
            bar.name = f"{generation.name} · {evaluation_label(spec)}"
            summary = await run_evaluation(
                store, workspace, generation_run=generation.run_id, spec=spec, on_start=bar.start,
                on_item=bar.update, **options,
            )
            bar.close()
            results.append(summary)
            if summary.stop_reason == "budget":
                break


def run_evaluate(args: argparse.Namespace) -> int:
    from core.cli.generate_cmd import _open, _selection
    from core.jobs import (
        JobError,
        RunSpecMismatch,
        find_generation_run,
        largest_disagreements,
        prepare_evaluator_spec,
    )
    from core.models import BudgetGuard, ModelClient, ResponseCache
    from core.store import StoreError

    if not args.run.strip():
        raise CliError("--run must name a generation run")
    if args.concurrency is not None and args.concurrency < 1:
        raise CliError("--concurrency must be >= 1")
    if args.max_cost is not None and (not math.isfinite(args.max_cost) or args.max_cost < 0):
        raise CliError("--max-cost must be a number of USD >= 0")
    if args.disagreements < 0:
        raise CliError("--disagreements must be >= 0")
    specs = build_specs(args)
    selection = _selection(args)
    profiles = _profiles(args, specs)
    store, workspace = _open(args)
    try:
        generation = find_generation_run(store, args.run.strip())
        prepared = [prepare_evaluator_spec(spec, profiles=profiles, home=str(workspace.home)) for spec in specs]
        # Two names of one computation (fid, kid) complete to one spec: run it once.
        specs = list({spec.to_json(): spec for spec in prepared}.values())
    except JobError as exc:
        raise CliError(str(exc)) from None
    budget = BudgetGuard(args.max_cost) if args.max_cost is not None else None
    client = None
    if profiles is not None:
        client = ModelClient(
            cache=ResponseCache(workspace.cache_dir / "models"), use_cache=not args.no_cache, config=profiles,
            home=str(workspace.home),
        )
    options = {
        "selection": selection, "concurrency": args.concurrency, "budget": budget, "use_cache": not args.no_cache,
        "retry_failed": args.retry_failed, "replace": args.replace, "profiles": profiles, "client": client,
    }
    bar = JobBar(not args.no_progress, resumed="figures already evaluated")
    results: list[EvaluationSummary] = []
    try:
        asyncio.run(_run_all(store, workspace, generation=generation, specs=specs, options=options, bar=bar,
                             results=results))
    except (RunSpecMismatch, JobError, StoreError) as exc:
        raise CliError(str(exc)) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        bar.close()
        print(f"evaluation of {args.run!r} interrupted; finished scores are stored, rerun the same command "
              "to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        bar.close()
        if client is not None:
            client.close()
    not_started = specs[len(results):]
    disagreements = {
        summary.run_id: largest_disagreements(store, summary.run_id, top=args.disagreements)
        for summary in results
        if args.disagreements and "judge_alpha" in summary.aggregates
    }
    if args.format == "json":
        payload = {
            "generation_run": generation.name,
            "evaluations": [
                {**summary.model_dump(),
                 "disagreements": json.loads(disagreements[summary.run_id].to_json(orient="records"))
                 if summary.run_id in disagreements else []}
                for summary in results
            ],
            "not_started": [spec.name for spec in not_started],
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        blocks = [format_summary(summary, disagreements.get(summary.run_id)) for summary in results]
        if not_started:
            blocks.append("not started (budget): " + ", ".join(spec.name for spec in not_started))
        print("\n\n".join(blocks))
    return EXIT_BUDGET if any(summary.stop_reason == "budget" for summary in results) else 0


# ----------------------------------------------------------------------------------------------


def _number(value: float | int | None, metric: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if metric == "n_missing":
        return f"{value:.0f}"
    number = float(value)
    if number != 0 and abs(number) < 0.1:
        return f"{number:.3g}"
    return f"{number:.2f}"


def _metric_rows(aggregates: dict[str, dict[str, Any]]) -> list[list[str]]:
    from core.metrics import METRICS

    order = [m for m in METRICS if m in aggregates] + sorted(set(aggregates) - set(METRICS))
    rows = []
    for metric in order:
        numbers = aggregates[metric]
        low, high = numbers.get("ci_low"), numbers.get("ci_high")
        interval = "" if low is None or high is None else f"[{_number(low)}, {_number(high)}]"
        unit = METRICS[metric].unit if metric in METRICS else ""
        rows.append([metric, _number(numbers.get("value"), metric), interval, str(numbers.get("n") or "–"), unit])
    return rows


def format_summary(summary: EvaluationSummary, disagreements: Any = None) -> str:
    head = f"evaluation {summary.run_name!r} ({summary.run_id}): {summary.state}"
    if summary.stop_reason:
        head += f" ({summary.stop_reason})"
    lines = [f"{head} — {summary.message}"]
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(summary.statuses.items()))
    lines.append(
        f"  figures: {summary.done}/{summary.total} evaluated ({statuses or 'none'}); this job {summary.ran}, "
        f"{summary.skipped} already done" + (f", {summary.incomplete} left for a resume" if summary.incomplete else "")
    )
    lines.append(
        f"  missing images: {summary.missing_images} (failed to render: quizzes wrong, judge 0)"
        + (f"; {summary.not_generated} selected problems have no figure" if summary.not_generated else "")
    )
    rows = _metric_rows(summary.aggregates)
    if rows:
        header = ["metric", "value", "95% CI", "n", "unit"]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [cell.rjust(w) if i in (1, 3) else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
            lines.append("  " + "  ".join(cells).rstrip())
    else:
        lines.append("  no aggregates (nothing could be scored)")
    for note in summary.notes:
        lines.append(f"  note: {note}")
    if disagreements is not None and len(disagreements):
        lines.append("  judges disagree most on:")
        for row in disagreements.itertuples(index=False):
            lines.append(f"    {row.problem_uid}: {row.detail}")
    if summary.calls:
        calls = f"  model calls this job: {summary.calls} ({summary.cached_calls} cached)"
        if summary.failed_calls:
            calls += "; failed: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.failed_calls.items()))
        lines.append(calls)
    lines.append(f"  cost: ${summary.job_cost_usd:.4f} this job, ${summary.cost_usd:.4f} for the run; {summary.wall_s:.1f} s")
    return "\n".join(lines)
