"""TikZ render time per figure over the sample's gold TikZ sources (data/sample/tikz/*.tex).

Three ways to get a PNG from each source, in one run:

* **naive**: what one would script by hand — the body inside a standalone document with the same
  preamble, ``pdflatex file.tex && pdftoppm -png``, one figure after another (every figure pays
  LaTeX's start-up and the whole preamble);
* **sandboxed warm path**: :class:`core.sandbox.tex.TexRenderer` — prebuilt format, one
  pre-forked child per worker, ``--workers`` at a time, every isolation layer on; it also reads the text layer and
  crops the PNG;
* **unsandboxed warm path**: the same pipeline (:func:`core.sandbox.tex_job.compile_in`: the same
  format, flags, text layer, crop) called directly in threads, ``--workers`` at a time, with no
  namespaces, no user switch, no fork from a warm parent.

Prints per-figure times (wall time / figures) and the ratios naive / sandboxed (target >= 3x) and
sandboxed / unsandboxed (target <= 1.3x). The modes run in interleaved rounds (``--rounds``, the
naive one only ``--naive-rounds``) so they share the machine's load; the best round counts.

    .venv/bin/python bench/tikz_bench.py [--workers 2] [--rounds 4] [--naive-rounds 2] [--dpi 150]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.sandbox import SandboxConfig  # noqa: E402
from core.sandbox.spec import RenderLimits  # noqa: E402
from core.sandbox.tex import PREAMBLE, TexRenderer, assemble, find_tex, tex_job  # noqa: E402
from core.sandbox.tex_job import compile_in  # noqa: E402

SOURCES = sorted((ROOT / "data" / "sample" / "tikz").glob("*.tex"))


def naive(codes: list[str], dpi: float, work: Path) -> float:
    started = time.perf_counter()
    for index, code in enumerate(codes):
        folder = work / f"naive-{index}"
        folder.mkdir()
        (folder / "file.tex").write_text(f"{PREAMBLE}\n\\begin{{document}}\n{code}\n\\end{{document}}\n")
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "file.tex"], cwd=folder,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        subprocess.run(["pdftoppm", "-r", f"{dpi:g}", "-png", "-singlefile", "file.pdf", "file"], cwd=folder,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def sandboxed(tex: TexRenderer, codes: list[str], dpi: float) -> float:
    started = time.perf_counter()
    results = [future.result() for future in [tex.submit(code, dpi=dpi, timeout_s=60) for code in codes]]
    elapsed = time.perf_counter() - started
    failed = [r.one_line() for r in results if not r.ok]
    if failed:
        raise SystemExit(f"sandboxed renders failed: {failed}")
    return elapsed


def unsandboxed(format_dir: Path, codes: list[str], dpi: float, workers: int, work: Path) -> float:
    limits = RenderLimits(timeout_s=60)

    def one(index_code: tuple[int, str]) -> dict:
        index, code = index_code
        folder = work / f"direct-{index}-{time.monotonic_ns()}"
        folder.mkdir()
        job = tex_job(code, format_dir, dpi, limits)
        header = compile_in(str(folder), job, job["limits"], {})
        shutil.rmtree(folder, ignore_errors=True)
        return header

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        headers = list(pool.map(one, enumerate(codes)))
    elapsed = time.perf_counter() - started
    failed = [h.get("error") for h in headers if h.get("status") != "ok"]
    if failed:
        raise SystemExit(f"unsandboxed renders failed: {failed}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--naive-rounds", type=int, default=2, help="the slow naive mode runs fewer rounds")
    parser.add_argument("--dpi", type=float, default=150.0)
    args = parser.parse_args()
    if find_tex() is None:
        raise SystemExit("TeX is not installed here")
    codes = [path.read_text(encoding="utf-8") for path in SOURCES]
    assert all(not assemble(code).whole_document for code in codes)
    with tempfile.TemporaryDirectory(prefix="tikz-bench-") as tmp:
        work = Path(tmp)
        with TexRenderer(SandboxConfig(workers=args.workers, spares=args.workers), cache_dir=work / "cache") as tex:
            sandboxed(tex, codes[:2], args.dpi)  # first forks and page-cache warm-up
            naive_rounds, sandboxed_rounds, direct_rounds = [], [], []
            # Interleaved rounds, so the three modes see the same load on a shared machine.
            for round_number in range(args.rounds):
                if round_number < args.naive_rounds:
                    folder = work / f"naive-round-{round_number}"
                    folder.mkdir()
                    naive_rounds.append(naive(codes, args.dpi, folder))
                sandboxed_rounds.append(sandboxed(tex, codes, args.dpi))
                direct_rounds.append(unsandboxed(tex.format_dir, codes, args.dpi, args.workers, work))
            naive_s, sandboxed_s, direct_s = min(naive_rounds), min(sandboxed_rounds), min(direct_rounds)
    n = len(codes)
    print(f"{n} gold TikZ figures, {args.workers} workers, {args.dpi:g} dpi, best of {args.rounds} rounds "
          f"({args.naive_rounds} naive)")
    print(f"  naive pdflatex + pdftoppm, one by one: {naive_s / n * 1000:7.1f} ms per figure")
    print(f"  sandboxed warm path:                   {sandboxed_s / n * 1000:7.1f} ms per figure")
    print(f"  same warm path without the sandbox:    {direct_s / n * 1000:7.1f} ms per figure")
    print(f"  naive / sandboxed      = {naive_s / sandboxed_s:5.2f}x  (target >= 3x)")
    print(f"  sandboxed / unsandboxed = {sandboxed_s / direct_s:5.2f}x  (target <= 1.3x)")


if __name__ == "__main__":
    main()
