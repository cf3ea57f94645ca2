"""The driver: checks a pipeline, connects to Ray, streams problems to workers, keeps the manifest.

Why Ray actors and not Ray Data: every stage of an item runs inside one worker actor that owns a
warm sandbox pool and a model client for the whole run, and a batch of items ends as exactly one
shard whose name the driver chose. That makes exactly-once output a matter of file names (a
retried batch rewrites its own shard; a resumed run skips every key already committed) and lets
model-bound stages run dozens of items per worker concurrently on one event loop. Streaming is the
driver's job: it reads the source lazily and keeps at most two batches in flight per worker, so
memory does not grow with the number of problems.

Failure handling: a worker that dies (its process killed, its node lost) fails its in-flight
calls; the driver puts those batches back in the queue and starts a replacement worker wherever
the cluster has a free slot. A driver that dies leaves committed shards behind; the next run
(``scigen engine resume DIR``) writes a new session id first, so workers of the old driver that
are still finishing commit nothing, then skips every committed key.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
import tomllib
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.engine.config import PipelineConfig, PipelineError, load_pipeline, parse_pipeline
from core.engine.limits import limiter_actor
from core.engine.manifest import (
    MALFORMED_FILE,
    PIPELINE_FILE,
    Manifest,
    StageCounts,
    append_malformed,
    count_shards,
    now,
    read_manifest,
    shard_count,
    write_manifest,
)
from core.engine.shards import committed_keys
from core.engine.stages import build_evaluators, build_generator
from core.engine.worker import SESSION_FILE
from core.files import write_text_atomically
from core.models import ProfileConfig
from core.models.profiles import ProfileError, load_profiles, resolve_model
from core.problems.importer import FieldError, stream_problems
from core.problems.models import Problem
from core.problems.taxonomy import Subject

__all__ = ["EngineError", "Progress", "connect", "resume_pipeline", "run_pipeline"]

IN_FLIGHT_PER_WORKER = 2
MANIFEST_EVERY_S = 2.0
PROGRESS_EVERY_S = 0.5
MAX_BATCH_TRIES = 4
PLACEMENT_TIMEOUT_S = 120.0


class EngineError(RuntimeError):
    """Why a pipeline cannot run or did not finish, in one line."""


@dataclass
class Progress:
    """What the progress bar shows."""

    counts: StageCounts
    elapsed_s: float
    total: int | None
    """Problems in the source (None when it cannot be counted cheaply)."""
    to_do: int | None
    done_this_run: int
    workers: int
    cost_usd: float
    dashboard_url: str | None
    rates: dict[str, float] = field(default_factory=dict)
    """Items per second this run, per stage."""

    @property
    def eta_s(self) -> float | None:
        rate = self.done_this_run / self.elapsed_s if self.elapsed_s > 0 else 0.0
        if self.to_do is None or rate <= 0:
            return None
        return max(0.0, (self.to_do - self.done_this_run) / rate)


ProgressCallback = Callable[[Progress], None]


# ---- checks before any work ------------------------------------------------------------------------


def check_pipeline(config: PipelineConfig) -> ProfileConfig:
    """Every model, generator, evaluator and source file the pipeline names, or EngineError."""
    try:
        profiles = load_profiles()
        for name in config.model_names():
            resolve_model(name, config=profiles)
    except ProfileError as exc:
        raise EngineError(str(exc)) from None
    try:
        build_generator(config, profiles, None)
        build_evaluators(config, profiles, None)
    except KeyError as exc:
        raise EngineError(str(exc.args[0])) from None
    except ValueError as exc:
        raise EngineError(str(exc)) from None
    paths = config.resolved_paths()
    if not paths:
        raise EngineError(f"source: no file matches {', '.join(config.source.paths)}")
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise EngineError(f"source: no such file {missing[0]}")
    if config.export is not None and config.export.eval_split:
        from core.export.contamination import EvalSplitError, load_eval_split

        try:
            load_eval_split(str(Path(config.base_dir) / config.export.eval_split))
        except EvalSplitError as exc:
            raise EngineError(str(exc)) from None
    return profiles


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3.0):
            return True
    except OSError:
        return False


def connect(address: str | None, *, num_cpus: int | None = None) -> tuple[bool, str | None]:
    """Connect this process to Ray: embedded (a local instance with this machine's CPUs) when
    ``address`` is None, else ``auto``, ``HOST:PORT`` or ``ray://HOST:10001``. Returns (whether
    this call started Ray, the Ray dashboard's URL when one runs). An address nobody answers at
    fails at once with one line."""
    import ray

    if ray.is_initialized():
        return False, None
    options: dict[str, Any] = {"namespace": "scigen", "log_to_driver": False, "logging_level": "warning"}
    if address is None:
        context = ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, **options)
        return True, getattr(context, "dashboard_url", None) or None
    if address != "auto":
        parts = urlsplit(address if "://" in address else f"gcs://{address}")
        if not parts.hostname or not parts.port:
            raise EngineError(f"cluster address {address!r}: expected auto, HOST:PORT or ray://HOST:10001")
        if not _reachable(parts.hostname, parts.port):
            raise EngineError(f"cannot reach a Ray cluster at {address}: nothing answers at {parts.hostname}:{parts.port}")
    try:
        context = ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(f"cannot connect to a Ray cluster at {address}: {first}") from None
    url = getattr(context, "dashboard_url", None)
    return False, f"http://{url}" if url and not url.startswith("http") else url


# ---- the source ----------------------------------------------------------------------------------------


def count_source(paths: list[Path]) -> int | None:
    """Items in the source files, cheaply (lines of JSONL, rows of Parquet metadata); None when a
    file needs parsing to count (a JSON array)."""
    total = 0
    for path in paths:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            total += pq.ParquetFile(path).metadata.num_rows
        elif path.suffix.lower() == ".json":
            return None
        else:
            with open(path, "rb") as handle:
                total += sum(1 for line in handle if line.strip())
    return total


@dataclass
class _Source:
    """Problems still to do, in batches, with what was skipped on the way."""

    config: PipelineConfig
    done: set[str]
    counts: StageCounts
    malformed: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def problems(self) -> Iterator[Problem]:
        for path in self.config.resolved_paths():
            untyped = Subject.UNIVERSAL if self.config.classify is not None else None  # classify decides
            for item in stream_problems(path, self.config.source.source, untyped=untyped):
                if isinstance(item, FieldError):
                    self._report(item)
                    continue
                self.counts.read += 1
                if item.uid in self.done:
                    self.counts.already_done += 1
                elif item.uid in self.seen:
                    self._report(FieldError(str(path), f"duplicate key {item.uid!r} (an earlier item has it)", field="id"))
                else:
                    self.seen.add(item.uid)
                    yield item

    def _report(self, error: FieldError) -> None:
        self.counts.malformed += 1
        self.malformed.append(
            {"file": error.file, "item": error.item_index, "id": error.item_id, "line": error.line,
             "field": error.field, "message": error.message, "text": str(error)}
        )

    def batches(self, size: int) -> Iterator[list[str]]:
        problems = self.problems()
        while batch := [problem.model_dump_json() for problem in itertools.islice(problems, size)]:
            yield batch


# ---- the run -------------------------------------------------------------------------------------------


@dataclass
class _Worker:
    handle: Any
    ready: Any  # ObjectRef of its first call: resolved once the actor is up
    up: bool = False
    in_flight: dict[Any, tuple[str, list[str], int]] = field(default_factory=dict)


class _Run:
    """One driver session over one dataset folder."""

    def __init__(
        self, config: PipelineConfig, out: Path, profiles: ProfileConfig, *, address: str | None,
        dashboard_url: str | None, on_progress: ProgressCallback | None,
    ) -> None:
        self.config, self.out, self.profiles = config, out, profiles
        self.address, self.dashboard_url, self.on_progress = address, dashboard_url, on_progress
        self.session = uuid.uuid4().hex
        self.counts = StageCounts()
        self.started = time.monotonic()
        self.workers: list[_Worker] = []
        self.queue: deque[tuple[str, list[str], int]] = deque()
        self.shard_numbers = itertools.count()
        self.failures = 0
        self.done_this_run = 0
        self.rates: dict[str, int] = {}

    # -- setup --------------------------------------------------------------------------------------------
    def start(self) -> Manifest:
        import ray

        self.out.mkdir(parents=True, exist_ok=True)
        write_text_atomically(self.out / SESSION_FILE, self.session)  # older workers now commit nothing
        (self.out / MALFORMED_FILE).unlink(missing_ok=True)  # the source is read again in full
        previous = read_manifest(self.out)
        self.counts = count_shards(self.out)
        self.counts_before = self.counts.model_copy()
        self.manifest = Manifest(
            dataset=self.out.name, state="running", created_at=previous.created_at if previous else now(),
            updated_at=now(), sessions=[*(previous.sessions if previous else []), self.session],
            address=self.address, counts=self.counts, shards=shard_count(self.out),
            base_dir=self.config.base_dir, driver=f"{socket.gethostname()}:{os.getpid()}",
        )
        self.elapsed_before = previous.elapsed_s if previous else 0.0
        write_manifest(self.out, self.manifest)
        self.limiter = limiter_actor(
            f"limits-{self.session}", max_cost_usd=self.config.run.max_cost, spent_usd=self.counts.cost_usd
        )
        cpus = self.config.run.cpus_per_worker
        cluster_cpus = float(ray.cluster_resources().get("CPU", 0))
        self.target_workers = self.config.run.workers or max(1, int(cluster_cpus // cpus))
        return self.manifest

    def _start_worker(self) -> None:
        from core.engine.worker import EngineWorker

        cpus = self.config.run.cpus_per_worker
        handle = EngineWorker.options(num_cpus=cpus).remote(
            self.config.model_dump_json(), str(self.out), self.session, f"limits-{self.session}",
            self.profiles, os.environ.get("SCIGEN_HOME") or str(Path(".scigen").resolve()), cpus,
        )
        self.workers.append(_Worker(handle=handle, ready=handle.pid.remote()))

    def _top_up_workers(self) -> None:
        """Start workers up to the target while the cluster has room for them."""
        import ray

        alive = len(self.workers)
        if alive >= self.target_workers:
            return
        free = float(ray.available_resources().get("CPU", 0))
        starting = sum(not worker.up for worker in self.workers)
        room = int((free + 1e-9) // self.config.run.cpus_per_worker) - starting
        for _ in range(max(0, min(room, self.target_workers - alive))):
            self._start_worker()

    # -- the loop -----------------------------------------------------------------------------------------
    def loop(self) -> None:
        import ray

        done = committed_keys(self.out)
        source = _Source(self.config, done, self.counts)
        total = count_source(self.config.resolved_paths())
        self.total, self.to_do = total, (None if total is None else max(0, total - len(done)))
        del done  # the source holds it; nothing else needs it
        batches = source.batches(self.config.run.batch_size)
        exhausted = False
        last_manifest = last_progress = 0.0
        waiting_since: float | None = None
        while True:
            self._top_up_workers()
            self._mark_ready()
            for worker in [w for w in self.workers if w.up]:
                while len(worker.in_flight) < IN_FLIGHT_PER_WORKER:
                    if self.queue:
                        shard, batch, tries = self.queue.popleft()
                    elif not exhausted:
                        batch = next(batches, None)
                        if batch is None:
                            exhausted = True
                            break
                        shard, tries = f"{self.session[:8]}-{next(self.shard_numbers):06d}", 0
                    else:
                        break
                    worker.in_flight[worker.handle.process.remote(shard, batch)] = (shard, batch, tries)
            refs = [ref for worker in self.workers for ref in worker.in_flight]
            if not refs and exhausted and not self.queue:
                break
            if not refs:
                waiting_since = waiting_since or time.monotonic()
                if time.monotonic() - waiting_since > PLACEMENT_TIMEOUT_S:
                    raise EngineError(
                        f"no worker could be placed for {PLACEMENT_TIMEOUT_S:.0f} s: the cluster has no free "
                        f"{self.config.run.cpus_per_worker:g} CPU"
                    )
                time.sleep(0.2)
            else:
                waiting_since = None
                ready, _ = ray.wait(refs, num_returns=1, timeout=PROGRESS_EVERY_S)
                for ref in ready:
                    self._collect(ref)
            source_malformed, source.malformed = source.malformed, []
            append_malformed(self.out, source_malformed)
            clock = time.monotonic()
            if clock - last_progress >= PROGRESS_EVERY_S:
                last_progress = clock
                self._report_progress()
            if clock - last_manifest >= MANIFEST_EVERY_S:
                last_manifest = clock
                self.save_if_started("running")
        self._report_progress()

    def _mark_ready(self) -> None:
        import ray

        for worker in list(self.workers):
            if worker.up:
                continue
            ready, _ = ray.wait([worker.ready], timeout=0)
            if ready:
                try:
                    ray.get(worker.ready)
                    worker.up = True
                except ray.exceptions.RayError as exc:
                    self._lost(worker, exc)

    def _collect(self, ref: Any) -> None:
        import ray

        worker = next(w for w in self.workers if ref in w.in_flight)
        shard, batch, tries = worker.in_flight.pop(ref)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            self.queue.append((shard, batch, tries))  # the worker is gone, not the batch's fault
            self._lost(worker, exc)
            return
        except ray.exceptions.RayError as exc:
            if tries + 1 >= MAX_BATCH_TRIES:
                raise EngineError(f"shard {shard} failed {MAX_BATCH_TRIES} times; last: {_first_line(exc)}") from None
            self.queue.append((shard, batch, tries + 1))
            return
        if result["stale"]:
            raise EngineError("another driver took over this dataset (its session changed); stopping")
        for summary in result["summary"]:
            self.counts.add_summary(summary)
        self.done_this_run += result["rows"]
        self.manifest.shards += 1

    def _lost(self, worker: _Worker, exc: BaseException) -> None:
        """A worker died: its batches go back to the queue and a replacement starts when there is room."""
        import ray

        self.failures += 1
        for shard, batch, tries in worker.in_flight.values():
            self.queue.append((shard, batch, tries))
        worker.in_flight.clear()
        self.workers.remove(worker)
        try:
            ray.kill(worker.handle, no_restart=True)
        except ray.exceptions.RayError:
            pass
        if self.failures > 10 + 3 * self.target_workers:
            raise EngineError(f"workers keep dying ({self.failures} lost); last: {_first_line(exc)}")

    # -- reporting ----------------------------------------------------------------------------------------
    def progress(self) -> Progress:
        elapsed = time.monotonic() - self.started
        before = self.counts_before
        rates = {
            stage: (getattr(self.counts, stage) - getattr(before, stage)) / elapsed if elapsed > 0 else 0.0
            for stage in ("generated_ok", "quizzed", "verified", "passed")
        }
        return Progress(
            counts=self.counts.model_copy(), elapsed_s=elapsed, total=self.total, to_do=self.to_do,
            done_this_run=self.done_this_run, workers=sum(w.up for w in self.workers),
            cost_usd=self.counts.cost_usd, dashboard_url=self.dashboard_url, rates=rates,
        )

    def _report_progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress())

    def save_if_started(self, state: str, message: str | None = None) -> None:
        """Write the manifest with ``state`` (nothing before :meth:`start` made one)."""
        manifest = getattr(self, "manifest", None)
        if manifest is None:
            return
        manifest.state = state  # type: ignore[assignment]
        manifest.counts = self.counts
        manifest.workers = len(self.workers)
        manifest.elapsed_s = round(self.elapsed_before + time.monotonic() - self.started, 3)
        manifest.message = message
        write_manifest(self.out, manifest)

    def close(self) -> None:
        import ray

        for worker in self.workers:
            try:
                ray.kill(worker.handle, no_restart=True)
            except ray.exceptions.RayError:
                pass
        try:
            ray.kill(self.limiter, no_restart=True)
        except (AttributeError, ray.exceptions.RayError):
            pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


# ---- entry points --------------------------------------------------------------------------------------


def run_pipeline(
    pipeline: str | Path,
    out_dir: str | Path,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> Manifest:
    """Run (or continue) the pipeline file ``pipeline`` into the dataset folder ``out_dir``."""
    try:
        config = load_pipeline(pipeline)
    except PipelineError as exc:
        raise EngineError(str(exc)) from None
    out = Path(out_dir).expanduser().resolve()
    if "://" in str(out_dir):
        raise EngineError(f"--out {out_dir}: only local folders are supported for now")
    text = Path(pipeline).read_text(encoding="utf-8")
    stored = out / PIPELINE_FILE
    if stored.is_file() and _normalised(stored.read_text(encoding="utf-8")) != _normalised(text):
        raise EngineError(
            f"{out} holds a dataset of another pipeline ({stored}); resume it with `scigen engine resume {out}` "
            "or choose another --out"
        )
    return _run(config, out, pipeline_text=text, address=address, num_cpus=num_cpus, on_progress=on_progress)


def resume_pipeline(
    dataset_dir: str | Path, *, address: str | None = None, num_cpus: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> Manifest:
    """Continue the run that made ``dataset_dir``, with the pipeline stored in it."""
    out = Path(dataset_dir).expanduser().resolve()
    stored = out / PIPELINE_FILE
    if not stored.is_file():
        raise EngineError(f"{out}: not an engine dataset (no {PIPELINE_FILE})")
    text = stored.read_text(encoding="utf-8")
    manifest = read_manifest(out)
    base_dir = Path(manifest.base_dir) if manifest is not None and manifest.base_dir else out
    try:
        config = parse_pipeline(tomllib.loads(text), where=str(stored), base_dir=base_dir)
    except PipelineError as exc:
        raise EngineError(str(exc)) from None
    return _run(config, out, pipeline_text=text, address=address, num_cpus=num_cpus, on_progress=on_progress)


def _normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _run(
    config: PipelineConfig, out: Path, *, pipeline_text: str, address: str | None, num_cpus: int | None,
    on_progress: ProgressCallback | None,
) -> Manifest:
    profiles = check_pipeline(config)
    started_here, dashboard_url = connect(address, num_cpus=num_cpus)
    run = _Run(config, out, profiles, address=address, dashboard_url=dashboard_url, on_progress=on_progress)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomically(out / PIPELINE_FILE, pipeline_text)
        run.start()
        run.loop()
        if config.export is not None:
            from core.engine.export import export_dataset

            run.manifest.export = export_dataset(out, config)
        run.save_if_started("finished")
        return run.manifest
    except EngineError as exc:
        run.save_if_started("failed", str(exc))
        raise
    except KeyboardInterrupt:
        run.save_if_started("interrupted", "stopped by the user; `scigen engine resume` continues it")
        raise
    finally:
        run.close()
        if started_here:
            import ray

            ray.shutdown()
