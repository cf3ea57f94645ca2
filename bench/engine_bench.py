"""The data engine's benchmarks, measured in one run and printed as ratios.

1. Scaling while model-bound: a quiz-writing pipeline (model calls only) against a loopback model
   answering after ``--latency`` s (0.2), in its own process; 1, 2, 4 workers on an embedded Ray
   of 4 logical CPUs; throughput (items/s between "all workers up" and the end) per worker count
   and efficiency = throughput(k) / (k * throughput(1)). Target >= 0.8.
2. Streaming memory: ``--memory-small`` (10K) and ``--memory-large`` (100K) problems through the
   engine with no model and no sandbox (source -> shards), each in its own process: the driver's
   peak RSS and the largest worker's peak RSS, large / small. Target <= 1.2.
3. Overhead: the same ``--overhead-n`` problems through ``scigen generate`` (text-card) +
   ``scigen evaluate`` (figure-facts) and through the engine (same generator and evaluator),
   wall time engine / verbs, both as fresh processes. Target <= 1.2.
4. Dataset reads: a synthetic engine dataset of ``--rows`` (1M) items and one of 10K; the store's
   queries behind the pages (leaderboard row, domains, a page deep in the gallery, a search count,
   one item) timed on both. Target <= 1 s per query; the ratio 1M / 10K is printed.

    .venv/bin/python bench/engine_bench.py [--latency 0.2] [--overhead-n 400] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.models.fake_server import FakeOpenAIServer  # noqa: E402

PYTHON = sys.executable


def _serve(connection, latency_s: float) -> None:
    """The loopback model in its own process (its threads do not compete with the engine's)."""
    with FakeOpenAIServer(reply="no quizzes in this reply", latency_s=latency_s) as server:
        connection.send(server.api_base)
        connection.recv()


def _problems(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(n):
            handle.write(json.dumps({
                "id": f"b{index:07d}", "subject": "Physics", "image_type": "Physics - Mechanical",
                "question": f"Bench problem {index}: a 2 kg cart moves 4 m in 2 s; draw its position against time.",
                "answer": "2 m/s",
            }) + "\n")


def _env(home: Path, config: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "SCIGEN_HOME": str(home), "PYTHONPATH": str(ROOT)}
    if config is not None:
        env["SCIGEN_CONFIG"] = str(config)
    return env


# ---- a measured engine run, in its own process -----------------------------------------------------


def _peak_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _worker_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"EngineWorker" in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def child(spec: str) -> None:
    """Run one pipeline in this process and print what was measured (JSON on the last line)."""
    options = json.loads(spec)
    from core.engine.driver import run_pipeline

    marks: dict[str, float] = {}
    worker_peak = 0

    def progress(state) -> None:
        nonlocal worker_peak
        if state.workers >= options["workers"] and "up" not in marks:
            marks["up"], marks["done_at_up"] = time.monotonic(), state.done_this_run
        for pid in _worker_pids():
            try:
                worker_peak = max(worker_peak, _peak_kib(pid))
            except OSError:
                pass

    started = time.monotonic()
    manifest = run_pipeline(options["pipeline"], options["out"], num_cpus=options["num_cpus"], on_progress=progress)
    ended = time.monotonic()
    up = marks.get("up", started)
    items = manifest.counts.items - marks.get("done_at_up", 0)
    print(json.dumps({
        "items": manifest.counts.items, "wall_s": ended - started, "steady_s": ended - up,
        "throughput": items / max(ended - up, 1e-9), "driver_kib": _peak_kib(), "worker_kib": worker_peak,
    }))


def _measure(pipeline: Path, out: Path, env: dict[str, str], workers: int, num_cpus: int) -> dict:
    spec = json.dumps({"pipeline": str(pipeline), "out": str(out), "workers": workers, "num_cpus": num_cpus})
    result = subprocess.run([PYTHON, __file__, "--child", spec], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"engine run failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---- the four benchmarks ---------------------------------------------------------------------------


def scaling(temp: Path, latency: float, per_worker: int) -> list[tuple[int, float]]:
    ours, theirs = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(theirs, latency), daemon=True)
    server.start()
    api_base = ours.recv()
    config = temp / "scigen.toml"
    config.write_text(
        f'[profiles.bench]\nmodel = "openai/fake-model"\napi_base = "{api_base}"\nconcurrency = 256\n'
        "max_tokens = 200\ntimeout_s = 30\nmax_retries = 0\ninput_cost_per_mtok = 0.15\noutput_cost_per_mtok = 0.6\n"
    )
    results = []
    try:
        for workers in (1, 2, 4):
            folder = temp / f"scaling-{workers}"
            folder.mkdir()
            _problems(folder / "problems.jsonl", per_worker * workers)
            (folder / "pipeline.toml").write_text(
                '[source]\npaths = ["problems.jsonl"]\nsource = "custom"\n\n'
                '[quizzes]\nmodel = "bench"\naudit = false\n\n'
                f"[run]\nbatch_size = 8\nconcurrency = 4\nworkers = {workers}\ncpus_per_worker = 1\nuse_cache = false\n"
            )
            measured = _measure(folder / "pipeline.toml", folder / "dataset", _env(folder / "home", config), workers, 4)
            results.append((workers, measured["throughput"]))
            print(f"  {workers} worker(s): {measured['throughput']:.1f} items/s over {measured['steady_s']:.1f} s "
                  f"({measured['items']} items)", flush=True)
    finally:
        ours.send("stop")
        server.join(timeout=10)
    return results


def memory(temp: Path, small: int, large: int) -> dict[int, dict]:
    measured = {}
    for n in (small, large):
        folder = temp / f"memory-{n}"
        folder.mkdir()
        _problems(folder / "problems.jsonl", n)
        (folder / "pipeline.toml").write_text(
            '[source]\npaths = ["problems.jsonl"]\nsource = "custom"\n\n'
            "[run]\nbatch_size = 500\nconcurrency = 64\nworkers = 2\n"
        )
        measured[n] = _measure(folder / "pipeline.toml", folder / "dataset", _env(folder / "home"), 2, 2)
        print(f"  {n} problems ({measured[n]['items']} items in shards): driver peak "
              f"{measured[n]['driver_kib'] / 1024:.0f} MiB, largest worker peak {measured[n]['worker_kib'] / 1024:.0f} MiB, "
              f"{measured[n]['wall_s']:.1f} s", flush=True)
        shutil.rmtree(folder / "dataset")
    return measured


def overhead(temp: Path, n: int) -> tuple[float, float]:
    folder = temp / "overhead"
    folder.mkdir()
    _problems(folder / "problems.jsonl", n)
    env = _env(folder / "home")
    started = time.monotonic()
    for args in (["import", "problems.jsonl"],
                 ["generate", "--model", "text-card", "--run", "cards", "--no-progress", "--concurrency", "8"],
                 ["evaluate", "--run", "cards", "--evaluator", "figure-facts", "--no-progress"]):
        subprocess.run([PYTHON, "-m", "core", *args], env=env, cwd=folder, check=True, capture_output=True)
    verbs = time.monotonic() - started
    (folder / "pipeline.toml").write_text(
        '[source]\npaths = ["problems.jsonl"]\nsource = "custom"\n\n[generate]\ngenerator = "text-card"\n\n'
        '[[verify]]\nevaluator = "figure-facts"\n\n[run]\nbatch_size = 16\nconcurrency = 8\n'
    )
    started = time.monotonic()
    subprocess.run([PYTHON, "-m", "core", "engine", "run", "pipeline.toml", "--out", "dataset", "--no-progress"],
                   env=_env(folder / "home-engine"), cwd=folder, check=True, capture_output=True)
    engine = time.monotonic() - started
    return verbs, engine


def _synthetic_dataset(folder: Path, rows: int, shard_rows: int = 50_000) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.engine.shards import RECORD_SCHEMA
    from core.problems.taxonomy import IMAGE_TYPES, subject_of

    (folder / "shards").mkdir(parents=True)
    types = [image_type for group in IMAGE_TYPES.values() for image_type in group]
    rng = np.random.default_rng(7)
    for start in range(0, rows, shard_rows):
        n = min(shard_rows, rows - start)
        index = np.arange(start, start + n)
        type_of = [types[i % len(types)] for i in index]
        rinv = rng.integers(0, 5, n) / 4
        columns = {
            "key": [f"custom:s{i:08d}" for i in index], "problem_id": [f"s{i:08d}" for i in index],
            "source": ["custom"] * n, "subject": [subject_of(t).value for t in type_of], "image_type": type_of,
            "question": [f"Synthetic problem {i} about a {'pulley' if i % 7 else 'lens'}" for i in index],
            "status": ["ok" if i % 20 else "failed" for i in index],
            "image_path": [f"images/custom_s{i:08d}.png" for i in index], "first_attempt_ok": index % 5 > 0,
            "n_attempts": np.ones(n, dtype=np.int32), "n_quizzes": np.full(n, 4, dtype=np.int32),
            "n_correct": (rinv * 4).astype(np.int32), "rinv": rinv, "passed": rinv >= 1.0,
            "judge_cf": rng.integers(0, 3, n).astype(float), "cost_usd": np.full(n, 0.002),
        }
        table = pa.table({name: columns.get(name, pa.nulls(n, RECORD_SCHEMA.field(name).type))
                          for name in RECORD_SCHEMA.names}, schema=RECORD_SCHEMA)
        pq.write_table(table, folder / "shards" / f"part-synthetic-{start // shard_rows:06d}.parquet")


def dataset_reads(temp: Path, rows: int) -> dict[str, tuple[float, float]]:
    from core.store import EngineDataset

    small, large = temp / "reads-10k", temp / "reads-large"
    _synthetic_dataset(small, 10_000)
    _synthetic_dataset(large, rows)
    queries = {
        "leaderboard row": lambda d, n: d.summary(),
        "domains by type": lambda d, n: d.domains("image_type"),
        "gallery page (middle)": lambda d, n: d.items(offset=n // 2, limit=48),
        "filtered page": lambda d, n: d.items(offset=0, limit=48, subject="Physics", passed=True),
        "search count": lambda d, n: d.count(search="lens"),
        "one item": lambda d, n: d.item(f"custom:s{n // 2:08d}"),
    }
    timings = {}
    for name, query in queries.items():
        measured = []
        for folder, n in ((small, 10_000), (large, rows)):
            dataset = EngineDataset(folder)
            query(dataset, n)  # first read warms the OS cache, as a second visit to a page would
            started = time.perf_counter()
            query(dataset, n)
            measured.append(time.perf_counter() - started)
        timings[name] = (measured[0], measured[1])
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--latency", type=float, default=0.2, help="model latency in seconds (default 0.2)")
    parser.add_argument("--per-worker", type=int, default=150, help="scaling: problems per worker (default 150)")
    parser.add_argument("--memory-small", type=int, default=10_000)
    parser.add_argument("--memory-large", type=int, default=100_000)
    parser.add_argument("--overhead-n", type=int, default=400, help="overhead: problems (default 400)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="dataset reads: items (default 1M)")
    parser.add_argument("--only", choices=("scaling", "memory", "overhead", "reads"), action="append")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    only = set(args.only or ("scaling", "memory", "overhead", "reads"))
    print(f"engine bench on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="scigen-engine-bench-") as name:
        temp = Path(name)
        if "scaling" in only:
            print(f"1. scaling while model-bound (model latency {args.latency:g} s):", flush=True)
            results = scaling(temp, args.latency, args.per_worker)
            base = results[0][1]
            for workers, throughput in results[1:]:
                print(f"  efficiency at {workers} workers: {throughput / (workers * base):.2f} (target >= 0.8)")
        if "memory" in only:
            print("2. streaming memory:", flush=True)
            measured = memory(temp, args.memory_small, args.memory_large)
            small, large = measured[args.memory_small], measured[args.memory_large]
            print(f"  driver peak RSS {args.memory_large} / {args.memory_small}: "
                  f"{large['driver_kib'] / small['driver_kib']:.2f} (target <= 1.2)")
            print(f"  worker peak RSS {args.memory_large} / {args.memory_small}: "
                  f"{large['worker_kib'] / max(small['worker_kib'], 1):.2f} (target <= 1.2)")
        if "overhead" in only:
            print(f"3. overhead on {args.overhead_n} problems (text-card + figure-facts):", flush=True)
            verbs, engine = overhead(temp, args.overhead_n)
            print(f"  scigen import + generate + evaluate: {verbs:.1f} s; scigen engine run: {engine:.1f} s; "
                  f"ratio {engine / verbs:.2f} (target <= 1.2)")
        if "reads" in only:
            print(f"4. dataset reads (store over shards), 10K vs {args.rows} items:", flush=True)
            for name, (small, large) in dataset_reads(temp, args.rows).items():
                print(f"  {name:<22} {small * 1000:7.1f} ms  {large * 1000:7.1f} ms  ratio {large / small:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
