"""``scigen engine run|status|resume``: the data engine's verbs (thin: the work is in core.engine)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.cli import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    engine = subparsers.add_parser(
        "engine",
        help="stream a pipeline over many problems on Ray: run, status, resume",
        description=(
            "The data engine: a pipeline declared in a TOML file (source -> generate -> quizzes -> verify -> "
            "filter -> export) streamed over many problems by Ray workers, into a dataset folder of Parquet "
            "shards, images and a manifest. Embedded Ray on this machine by default; --address for a cluster."
        ),
    )
    verbs = engine.add_subparsers(dest="engine_verb", metavar="VERB")
    verbs.required = True

    run = verbs.add_parser(
        "run", help="run a pipeline into a dataset folder (continues it when the folder holds this pipeline)",
        description="Run PIPELINE.toml. A rerun into the same --out processes only the items not yet committed.",
    )
    run.add_argument("pipeline", metavar="PIPELINE.toml", help="the pipeline file")
    run.add_argument("--out", required=True, metavar="DIR", help="the dataset folder (created when missing)")
    _cluster_arguments(run)
    run.set_defaults(handler=run_engine)

    status = verbs.add_parser(
        "status", help="where a dataset's run stands: state, per-stage counts, cost",
        description="Read DIR's manifest and count its committed shards (correct even after a killed driver).",
    )
    status.add_argument("dataset", metavar="DIR", help="the dataset folder")
    status.add_argument("--output", choices=("text", "json"), default="text", help="format (default: text)")
    status.set_defaults(handler=engine_status)

    resume = verbs.add_parser(
        "resume", help="continue a dataset's run with the pipeline stored in it",
        description="Continue the run that made DIR: only items missing from its committed shards are processed.",
    )
    resume.add_argument("dataset", metavar="DIR", help="the dataset folder")
    _cluster_arguments(resume)
    resume.set_defaults(handler=resume_engine)


def _cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--address", default=None, metavar="auto|HOST:PORT|ray://HOST:10001",
        help="a running Ray cluster (default: an embedded one on this machine)",
    )
    parser.add_argument("--num-cpus", type=int, default=None, metavar="N",
                        help="CPUs of the embedded Ray (default: all of this machine's)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


class _Bar:
    """A tqdm bar with items/s per stage, cost and ETA (only on a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.announced = False

    def __call__(self, progress: Any) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=progress.to_do, file=sys.stderr, unit="item", dynamic_ncols=True, desc="engine")
            if progress.dashboard_url and not self.announced:
                self.bar.write(f"Ray dashboard: {progress.dashboard_url}", file=sys.stderr)
            self.announced = True
        rates = " ".join(f"{stage.split('_')[0]} {rate:.1f}/s" for stage, rate in progress.rates.items() if rate)
        self.bar.set_postfix_str(f"workers {progress.workers} | {rates} | ${progress.cost_usd:.4f}", refresh=False)
        self.bar.update(progress.done_this_run - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _summary_lines(manifest: Any, dataset: Path) -> list[str]:
    counts = manifest.counts
    lines = [
        f"dataset {dataset}: {manifest.state}" + (f" ({manifest.message})" if manifest.message else ""),
        f"  items {counts.items} in {manifest.shards} shards; generated ok {counts.generated_ok}, failed "
        f"{counts.generated_failed}; quizzed {counts.quizzed}; verified {counts.verified}; passed {counts.passed}, "
        f"rejected {counts.rejected}",
        f"  model calls {counts.model_calls}; cost ${counts.cost_usd:.4f}; elapsed {manifest.elapsed_s:.1f} s",
    ]
    if counts.classified or counts.dropped:
        lines.insert(2, f"  classified: {counts.classified} need a figure, {counts.dropped} dropped (no figure needed)")
    if counts.read or counts.malformed:
        lines.append(
            f"  last run: read {counts.read}, malformed {counts.malformed} (see malformed.jsonl), already done "
            f"{counts.already_done}"
        )
    if manifest.export:
        lines.append(f"  export: {manifest.export['exported']} items as {', '.join(manifest.export['formats'])} in export/")
    return lines


def _drive(call: Any, no_progress: bool, **options: Any) -> int:
    from core.engine.driver import EngineError

    bar = _Bar(not no_progress)
    try:
        manifest = call(on_progress=bar, **options)
    except EngineError as exc:
        raise CliError(str(exc)) from None
    finally:
        bar.close()
    out = Path(options.get("out_dir") or options.get("dataset_dir"))
    print("\n".join(_summary_lines(manifest, out)))
    return 0


def run_engine(args: argparse.Namespace) -> int:
    from core.engine.driver import run_pipeline

    return _drive(run_pipeline, args.no_progress, pipeline=args.pipeline, out_dir=args.out,
                  address=args.address, num_cpus=args.num_cpus)


def resume_engine(args: argparse.Namespace) -> int:
    from core.engine.driver import resume_pipeline

    return _drive(resume_pipeline, args.no_progress, dataset_dir=args.dataset, address=args.address,
                  num_cpus=args.num_cpus)


def engine_status(args: argparse.Namespace) -> int:
    from core.engine.manifest import count_shards, driver_gone, read_manifest, shard_count

    dataset = Path(args.dataset)
    manifest = read_manifest(dataset)
    if manifest is None:
        raise CliError(f"{dataset}: not an engine dataset (no manifest.json)")
    manifest.counts = count_shards(dataset).model_copy(
        update={key: getattr(manifest.counts, key) for key in ("read", "malformed", "already_done")}
    )
    manifest.shards = shard_count(dataset)
    if driver_gone(manifest):
        manifest.state = "interrupted"
        manifest.message = f"its driver {manifest.driver} is gone; `scigen engine resume {dataset}` continues it"
    if args.output == "json":
        print(json.dumps(manifest.model_dump(mode="json"), indent=2))
    else:
        print("\n".join(_summary_lines(manifest, dataset)))
    return 0
