"""Generation job throughput against a loopback model server, measured in one run.

N problems (default 400) go through the real ImgCoder generator and job runner: one chat call
each to a loopback OpenAI-compatible server that answers after ``--latency`` seconds (default
0.2) with a small valid plotting script, calls at ``--concurrency`` at once (default 16, the
profile's concurrency), rendering in one shared sandbox RenderPool, results stored through the
batched writer with progress rows, exactly as ``scigen generate`` does.

The render time per figure is measured in the same run (the sandbox's duration of every render
during the job), and the wall time is compared with the ideal

    ideal = max(N * latency / concurrency, N * render / cores)

(model-bound or render-bound, whichever is slower). Prints the numbers and the ratio wall/ideal
(target <= 1.25x), plus two stricter references: the render time of the same script on an idle
pool just before the run, and the pool's throughput when saturated. Startup (LiteLLM import, the sandbox's warm parent) is done before timing and
reported separately.

    .venv/bin/python bench/jobs_bench.py [--n 400] [--latency 0.2] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.generation.base import GeneratorSpec  # noqa: E402
from core.jobs import ProblemSelection, prepare_spec, run_generation  # noqa: E402
from core.models import ModelClient, ProfileConfig, ResponseCache, text_message  # noqa: E402
from core.models.fake_server import FakeOpenAIServer  # noqa: E402
from core.models.profiles import ModelProfile  # noqa: E402
from core.problems.models import Problem  # noqa: E402
from core.sandbox import RenderPool  # noqa: E402
from core.store import Store  # noqa: E402
from core.workspace import Workspace  # noqa: E402

TARGET_RATIO = 1.25
SCRIPT = (
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(4, 3))\n"
    "ax.plot([0, 1, 2], [0, 1, 4], 'o-')\n"
    "ax.set_xlabel('t (s)')\n"
    "ax.set_ylabel('x (m)')\n"
    "ax.set_title('Position')\n"
)
REPLY = (
    "Plan:\n1. Image Content: a position-time curve.\n2. Layout: one axes.\n"
    "3. Labels: t (s), x (m).\n4. Drawing Considerations: no answer shown.\n\n"
    f"```python\n{SCRIPT}```\n"
)


def _problems(n: int) -> list[Problem]:
    return [
        Problem(
            id=f"bench-{index:04d}", source="custom", subject="Physics", image_type="Physics - Mechanical",
            question=f"Bench problem {index}: a cart moves 4 m in 2 s; draw its position against time.",
            answer="2 m/s", elements=["a position-time curve"],
        )
        for index in range(n)
    ]


def _serve(connection, latency_s: float) -> None:
    """The loopback model server, in its own process like a local vLLM would be (its threads do
    not compete with the job for this process's interpreter)."""
    with FakeOpenAIServer(reply=REPLY, latency_s=latency_s) as server:
        connection.send(server.api_base)
        connection.recv()  # timing starts
        server.reset_counters()
        connection.send("reset")
        connection.recv()  # timing ended
        connection.send((server.request_count, server.max_in_flight))


class _RemoteServer:
    def __init__(self, latency_s: float) -> None:
        # fork before this process starts any thread (no pool, no LiteLLM loop yet)
        self._ours, theirs = multiprocessing.get_context("fork").Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(theirs, latency_s), daemon=True
        )
        self._process.start()
        self.api_base: str = self._ours.recv()

    def reset(self) -> None:
        self._ours.send("reset")
        self._ours.recv()

    def finish(self) -> tuple[int, int]:
        self._ours.send("stop")
        counts = self._ours.recv()
        self._process.join(timeout=10)
        return counts


def _render_seconds(pool: RenderPool, samples: int, dpi: float, timeout_s: float) -> tuple[float, float]:
    """(median wall seconds of one render done alone, figures/s with the pool busy)."""
    for _ in range(3):  # warm-up
        pool.render(SCRIPT, dpi=dpi, timeout_s=timeout_s)
    alone = []
    for _ in range(samples):
        started = time.perf_counter()
        result = pool.render(SCRIPT, dpi=dpi, timeout_s=timeout_s)
        alone.append(time.perf_counter() - started)
        if not result.ok:
            raise SystemExit(f"the bench script does not render: {result.error_class}: {result.error}")
    started = time.perf_counter()
    futures = [pool.submit(SCRIPT, dpi=dpi, timeout_s=timeout_s) for _ in range(samples)]
    for future in futures:
        future.result()
    busy_rate = samples / (time.perf_counter() - started)
    return statistics.median(alone), busy_rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=400, help="generations (default 400)")
    parser.add_argument("--latency", type=float, default=0.2, help="model latency in seconds (default 0.2)")
    parser.add_argument("--concurrency", type=int, default=16, help="model calls at once (default 16)")
    parser.add_argument(
        "--job-concurrency", type=int, default=None,
        help="problems in flight (default: the job's default, twice the model concurrency)",
    )
    parser.add_argument("--render-samples", type=int, default=30, help="renders timed for the render cost")
    args = parser.parse_args()

    cores = os.cpu_count() or 1
    server = _RemoteServer(args.latency)  # first: forked while this process has no threads
    profile = ModelProfile(
        name="bench", model="openai/fake-model", api_base=server.api_base, concurrency=args.concurrency,
        timeout_s=30.0, max_retries=0, input_cost_per_mtok=0.15, output_cost_per_mtok=0.6,
    )
    config = ProfileConfig(None, {"bench": profile}, {}, {})
    spec = prepare_spec(GeneratorSpec.create("imgcoder", model="bench"), profiles=config, home=None)
    dpi, render_timeout = spec.param("dpi"), spec.param("timeout_s")
    with tempfile.TemporaryDirectory(prefix="scigen-jobs-bench-") as temp:
        workspace = Workspace.from_env(temp).ensure()
        store = Store.open(workspace)
        store.upsert_problems(_problems(args.n))

        startup = time.perf_counter()
        pool = RenderPool()
        client = ModelClient(cache=ResponseCache(workspace.cache_dir / "models"), config=config)
        client.chat_sync("bench", [text_message("warm-up")], use_cache=False)  # imports LiteLLM
        startup = time.perf_counter() - startup
        try:
            render_alone_s, busy_rate = _render_seconds(pool, args.render_samples, dpi, render_timeout)
            server.reset()
            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            summary = asyncio.run(
                run_generation(
                    store, workspace, run_name="bench", spec=spec, selection=ProblemSelection(),
                    concurrency=args.job_concurrency, client=client, render_pool=pool,
                )
            )
            wall = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        finally:
            pool.close()
            requests, peak = server.finish()
        attempts = store.generation_attempts(summary.run_id)
        in_sandbox = float(attempts["render_s"].mean())
        calls = store.model_calls(summary.run_id)

    job_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    model_bound = args.n * args.latency / args.concurrency
    # The render cost per figure measured in this run: the sandbox's own duration of each render
    # during the job (fork to result), so a loaded machine slows the ideal and the job alike.
    render_bound = args.n * in_sandbox / cores
    ideal = max(model_bound, render_bound)
    ratio = wall / ideal
    strict_bound = max(model_bound, args.n * render_alone_s / cores)
    print(f"jobs bench: {args.n} generations, latency {args.latency * 1000:.0f} ms, model concurrency "
          f"{args.concurrency}, job concurrency {args.job_concurrency or 2 * args.concurrency}, {cores} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  startup (not timed): {startup:.2f} s (sandbox warm parent, LiteLLM import)")
    print(f"  render per figure: {in_sandbox * 1000:.1f} ms during the run (sandbox duration, mean of {args.n}); "
          f"{render_alone_s * 1000:.1f} ms alone on an idle pool just before (median of {args.render_samples}); "
          f"pool busy {busy_rate:.1f} fig/s")
    print(f"  run: {summary.ok}/{summary.done} ok, state {summary.state}, {requests} requests "
          f"(peak {peak} in flight), {summary.writer_flushes} store flushes, "
          f"mean call latency {float(calls['latency_s'].mean()) * 1000:.0f} ms")
    print(f"  job process CPU (model client, job loop, writer; not the renders or the server): {job_cpu:.2f} s, "
          f"{job_cpu / args.n * 1000:.1f} ms per generation")
    print(f"  ideal: max(N*latency/concurrency = {model_bound:.2f} s, N*render/cores = {render_bound:.2f} s) "
          f"= {ideal:.2f} s")
    print(f"  wall: {wall:.2f} s ({args.n / wall:.1f} fig/s)")
    verdict = "OK" if ratio <= TARGET_RATIO else "MISSED"
    print(f"  ratio wall/ideal: {ratio:.2f}x (target <= {TARGET_RATIO}x) {verdict}")
    print(f"  stricter, with the idle-pool render time: ideal {strict_bound:.2f} s -> {wall / strict_bound:.2f}x; "
          f"with the pool's busy throughput: {max(model_bound, args.n / busy_rate):.2f} s -> "
          f"{wall / max(model_bound, args.n / busy_rate):.2f}x")
    if summary.ok != args.n:
        print(f"  failures: {summary.failures}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
