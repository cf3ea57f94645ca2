"""Sandbox speed and memory, measured in one run.

Renders the bundled sample's reference scripts (data/sample/scripts/*.py; topped up with the
bench's own figures while fewer than 50 exist) three ways:

* naive: ``python script.py`` in a fresh process per script (what a simple runner does);
* sandbox: the RenderPool with every isolation layer on (default workers, and 1 worker);
* in-process: ``exec`` in this process with the libraries already imported (no isolation).

Then renders a small script 1,000 times and compares the pool's resident memory after 10 and
after 1,000 renders. Prints figures/s, the ratios and whether each target is met:
sandbox >= 8x naive, sandbox time <= 1.5x in-process, RSS(1000) <= 1.2x RSS(10).

    .venv/bin/python bench/sandbox_bench.py [--rounds 3] [--renders 1000]
"""

from __future__ import annotations

import argparse
import glob
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.sandbox import RenderPool, SandboxConfig  # noqa: E402
from core.sandbox.spec import DEFAULT_PRELOAD  # noqa: E402
from core.workspace import SAMPLE_DIR  # noqa: E402

MIN_SCRIPTS = 50
SMALL_SCRIPT = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 1, 2], [0, 1, 4], "o-")
ax.set_title("memory check")
fig.savefig("figure.png")
"""

# The bench's own figures, used only while the bundled sample has fewer than MIN_SCRIPTS scripts.
_OWN_FIGURES = [
    "import numpy as np\nimport matplotlib.pyplot as plt\nx = np.linspace(0, 2 * np.pi, 200)\n"
    "fig, ax = plt.subplots(figsize=(6, 4))\nax.plot(x, np.sin({k} * x), label='sin')\n"
    "ax.plot(x, np.cos(x), '--', label='cos')\nax.set_xlabel('t (s)')\nax.set_ylabel('A (m)')\n"
    "ax.legend()\nax.set_title('Wave {k}')\nfig.savefig('figure.png')\n",
    "import matplotlib.pyplot as plt\nfrom matplotlib.patches import Polygon\nfig, ax = plt.subplots(figsize=(5, 5))\n"
    "ax.add_patch(Polygon([[0, 0], [4, 0], [0, 3]], fill=False, lw=2))\n"
    "for (x, y, s) in [(-0.2, -0.2, 'A'), (4.1, -0.2, 'B'), (-0.2, 3.1, 'C'), (2, -0.4, '4 cm'), (-0.6, 1.5, '{k} cm')]:\n"
    "    ax.text(x, y, s, fontsize=12)\nax.set_xlim(-1, 5)\nax.set_ylim(-1, 4)\nax.set_aspect('equal')\n"
    "ax.axis('off')\nfig.savefig('figure.png')\n",
    "import numpy as np\nimport matplotlib.pyplot as plt\nrng = np.random.default_rng({k})\n"
    "fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3.5))\na.bar(list('ABCDE'), rng.integers(1, 9, 5))\n"
    "a.set_title('Counts')\nb.hist(rng.normal(size=500), bins=20, color='grey')\nb.set_xlabel('z')\n"
    "fig.tight_layout()\nfig.savefig('figure.png')\n",
]


def own_figures(count: int) -> list[tuple[str, str]]:
    return [(f"own-figure-{i}", _OWN_FIGURES[i % len(_OWN_FIGURES)].replace("{k}", str(i % 7 + 1)))
            for i in range(count)]


def load_scripts() -> tuple[list[tuple[str, str]], str]:
    paths = sorted(glob.glob(str(SAMPLE_DIR / "scripts" / "*.py")))
    scripts = [(Path(p).stem, Path(p).read_text(encoding="utf-8")) for p in paths]
    source = f"{len(scripts)} from {SAMPLE_DIR.relative_to(ROOT)}/scripts"
    if len(scripts) < MIN_SCRIPTS:
        extra = own_figures(MIN_SCRIPTS - len(scripts))
        scripts += extra
        source += f" + {len(extra)} of the bench's own figures"
    return scripts, source


def run_naive(scripts: list[tuple[str, str]]) -> float:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MPLBACKEND": "Agg", "HOME": os.environ.get("HOME", "/")}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for name, code in scripts:
            path = Path(folder) / f"{name}.py"
            path.write_text(code, encoding="utf-8")
            done = subprocess.run([sys.executable, str(path)], cwd=folder, env=env, capture_output=True, timeout=120)
            if done.returncode != 0:
                raise SystemExit(f"naive run of {name} failed:\n{done.stderr.decode()[-2000:]}")
    return time.perf_counter() - started


def run_in_process(scripts: list[tuple[str, str]]) -> float:
    import matplotlib.pyplot as plt

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            started = time.perf_counter()
            for name, code in scripts:
                namespace = {"__name__": "__main__", "__file__": os.path.join(folder, f"{name}.py")}
                exec(compile(code, namespace["__file__"], "exec"), namespace)
                plt.close("all")
            return time.perf_counter() - started
        finally:
            os.chdir(cwd)


def run_sandbox(pool: RenderPool, scripts: list[tuple[str, str]]) -> float:
    started = time.perf_counter()
    futures = [(name, pool.submit(code, timeout_s=60)) for name, code in scripts]
    for name, future in futures:
        result = future.result()
        if not result.ok:
            raise SystemExit(f"sandbox render of {name} failed: {result.one_line()}\n{result.traceback_tail}")
    return time.perf_counter() - started


def own_rss() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def rss_check(renders: int) -> tuple[int, int, int, int]:
    """(pool RSS, host RSS) after 10 renders and after ``renders`` renders of a small script."""
    with RenderPool() as pool:
        for _ in range(10):
            assert pool.render(SMALL_SCRIPT).ok
        after_10, host_10 = pool.rss_bytes(), own_rss()
        done = 10
        while done < renders:
            batch = min(100, renders - done)
            futures = [pool.submit(SMALL_SCRIPT) for _ in range(batch)]
            assert all(f.result().ok for f in futures)
            done += batch
        after_all, host_all = pool.rss_bytes(), own_rss()
    return after_10, after_all, host_10, host_all


def mark(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of sandbox and in-process (best kept)")
    parser.add_argument("--renders", type=int, default=1000, help="renders for the memory check")
    args = parser.parse_args()

    scripts, source = load_scripts()
    for name in DEFAULT_PRELOAD:  # in-process gets the same warm libraries the sandbox preloads
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    print(f"sandbox bench: {len(scripts)} scripts ({source}); {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f} at start")

    started = time.perf_counter()
    pool = RenderPool()
    start_s = time.perf_counter() - started
    one = RenderPool(SandboxConfig(workers=1))
    layers = pool.info["layers"]
    active = [layer["name"] for layer in layers if layer["active"]]
    print(f"isolation layers active: {len(active)}/{len(layers)} ({', '.join(active)})")
    inactive = [f"{layer['name']} ({layer['detail']})" for layer in layers if not layer["active"]]
    if inactive:
        print(f"inactive: {'; '.join(inactive)}")
    print(f"warm parent ready in {start_s:.2f} s ({pool.config.workers} workers); warming up ...")
    run_sandbox(pool, scripts[:4])
    run_sandbox(one, scripts[:4])
    run_in_process(scripts[:4])

    naive_s = run_naive(scripts)
    sandbox_times, single_times, inproc_times = [], [], []
    for _ in range(args.rounds):  # interleaved, so background load hits all of them alike
        sandbox_times.append(run_sandbox(pool, scripts))
        single_times.append(run_sandbox(one, scripts))
        inproc_times.append(run_in_process(scripts))
    pool.close()
    one.close()

    n = len(scripts)
    sandbox_s, single_s, inproc_s = min(sandbox_times), min(single_times), min(inproc_times)
    fps = {"naive": n / naive_s, "sandbox": n / sandbox_s, "single": n / single_s, "inproc": n / inproc_s}
    print(f"naive subprocess per script : {fps['naive']:7.2f} figures/s  ({naive_s / n * 1000:6.1f} ms/figure)")
    print(f"in-process exec             : {fps['inproc']:7.2f} figures/s  ({inproc_s / n * 1000:6.1f} ms/figure)")
    print(f"sandbox pool, {pool.config.workers} workers     : {fps['sandbox']:7.2f} figures/s  "
          f"({sandbox_s / n * 1000:6.1f} ms/figure; median round {statistics.median(sandbox_times) / n * 1000:.1f})")
    print(f"sandbox pool, 1 worker      : {fps['single']:7.2f} figures/s  ({single_s / n * 1000:6.1f} ms/figure)")
    vs_naive = fps["sandbox"] / fps["naive"]
    vs_inproc = sandbox_s / inproc_s
    single_vs_inproc = single_s / inproc_s
    print(f"sandbox vs naive            : {vs_naive:6.2f}x faster   (target >= 8x: {mark(vs_naive >= 8)})")
    print(f"sandbox time vs in-process  : {vs_inproc:6.2f}x          (target <= 1.5x: {mark(vs_inproc <= 1.5)})")
    print(f"  1 worker vs in-process    : {single_vs_inproc:6.2f}x          (same parallelism as exec)")
    print(f"  1 worker vs naive         : {fps['single'] / fps['naive']:6.2f}x faster")

    after_10, after_all, host_10, host_all = rss_check(args.renders)
    ratio = after_all / after_10
    print(f"pool RSS after 10 renders   : {after_10 / 2**20:7.1f} MB   (host process {host_10 / 2**20:.1f} MB)")
    print(f"pool RSS after {args.renders} renders : {after_all / 2**20:7.1f} MB   (host process {host_all / 2**20:.1f} MB)")
    print(f"pool RSS ratio 1000/10      : {ratio:6.3f}          (target <= 1.2: {mark(ratio <= 1.2)})")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (timings on a busy machine vary from run to run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
