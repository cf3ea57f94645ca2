"""Dashboard render time at scale, in Debian chromium, against a trivial Streamlit page.

Builds a synthetic workspace of ``--runs`` generation runs (default 50) over ``--problems``
problems (default 1,387, the size of SciGenBench) with ``--quizzes`` quizzes each (default 4),
written through the store as the jobs write it: figures with attempts, and per generation run
four evaluation runs (vqa quiz answers, one judge's five scores, PSNR, SSIM) with their
aggregates, plus the paper's reported results. Images are tiny placeholder PNGs (one per image
type, shared).

Then serves the dashboard (``streamlit run streamlit_app.py``) and a one-line page
(bench/trivial_app.py) the same way (and, for reference, a page with one tiny Plotly chart,
bench/trivial_chart_app.py: the floor for a page with a chart), and times, in one Chromium, each registered page from
navigation until Streamlit has finished the run and the page's content is drawn (the same "done"
the browser tests wait for: script run over, no skeleton left, header visible). Every page is
opened ``--visits`` times, each in a fresh tab (a new session): the first visit pays the page's
uncached data reads, later ones hit the caches. Prints per-page times and ratios to the trivial
page (target <= 2x on the repeat visits).

The browser runs as a user's would, with its HTTP cache: requests are not intercepted (Playwright's
request routing turns the cache off and adds a round trip per file); instead every host but
loopback fails at name resolution, and any such attempt is listed.

    .venv/bin/python bench/dashboard_bench.py [--runs 50] [--problems 1387] [--quizzes 4] [--visits 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402

from core.evaluation.base import EvaluatorSpec  # noqa: E402
from core.jobs import store_evaluation_aggregates, store_run_aggregates  # noqa: E402
from core.jobs.evaluation import create_evaluation_run  # noqa: E402
from core.metrics import JUDGE_DIMENSIONS  # noqa: E402
from core.problems.models import Problem, Quiz  # noqa: E402
from core.problems.taxonomy import ALL_IMAGE_TYPES, subject_of  # noqa: E402
from core.store import Run, Store  # noqa: E402
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, MetricValueRow, QuizAnswerRow  # noqa: E402
from core.store.generations import AttemptRow, GenerationRow  # noqa: E402
from core.store.reported import load_reported_results  # noqa: E402
from core.workspace import Workspace  # noqa: E402
from tests.browser import streamlit_driver  # noqa: E402

TARGET_RATIO = 2.0
TRIVIAL_APP = ROOT / "bench" / "trivial_app.py"
CHART_APP = ROOT / "bench" / "trivial_chart_app.py"
KINDS = ("code", "pixel", "baseline")
FAILURES = ("render_error", "timeout", "no_figure", "parse_error")
OPTION_KEYS = ("A", "B", "C", "D")
BENCH_TIMEOUT_MS = 180_000


# ---- the synthetic store ------------------------------------------------------------------------


def synthetic_problems(count: int, quizzes: int) -> list[Problem]:
    problems = []
    for number in range(count):
        image_type = ALL_IMAGE_TYPES[number % len(ALL_IMAGE_TYPES)]
        problems.append(
            Problem(
                id=f"bench-{number:05d}",
                source="scigen",
                subject=subject_of(image_type).value,
                image_type=image_type,
                question=f"Problem {number}: a {image_type.split(' - ')[1].lower()} with values {number % 97} and "
                f"{(number * 7) % 89}; find the unknown quantity and draw the setup.",
                answer=f"{(number * 13) % 101} units",
                elements=[f"label {k} at position {k}" for k in range(3)],
                quizzes=[
                    Quiz(
                        question=f"What value does label {k} show in figure {number}?",
                        options={key: f"{k * 10 + i}" for i, key in enumerate(OPTION_KEYS)},
                        correct_option=OPTION_KEYS[(number + k) % 4],
                        evidence_snippet=f"label {k}",
                    )
                    for k in range(quizzes)
                ],
            )
        )
    return problems


def placeholder_images(workspace: Workspace) -> dict[str, str]:
    """One small PNG per image type (shared by every figure of that type), paths relative to home."""
    folder = workspace.images_dir / "bench-placeholders"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index, image_type in enumerate(ALL_IMAGE_TYPES):
        path = folder / f"type-{index:02d}.png"
        image = Image.new("RGB", (160, 120), "white")
        draw = ImageDraw.Draw(image)
        draw.rectangle((10, 10, 150, 110), outline=(40, 90, 160), width=3)
        draw.line((10, 110, 150, 10 + index * 4), fill=(200, 80, 60), width=2)
        image.save(path)
        paths[image_type] = str(path.relative_to(workspace.home))
    return paths


def _generation_rows(problems, run_index, runs, images, rng):
    skill = 0.3 + 0.65 * run_index / max(runs - 1, 1)
    generations, attempts = [], []
    for problem in problems:
        first_ok = rng.random() < 0.45 + 0.5 * skill
        ok = first_ok or rng.random() < 0.6
        tries = 1 if first_ok else rng.randint(2, 3)
        error = None if ok else rng.choice(FAILURES)
        cost = round(0.002 + 0.001 * tries, 4)
        generations.append(
            GenerationRow(
                problem_uid=problem.uid, status="ok" if ok else "failed",
                image_path=images[problem.image_type] if ok else None,
                plan="1. Image content: the setup.\n2. Layout: one axes.",
                code="import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\n",
                error_class=error, error_message=None if ok else f"{error}: synthetic failure",
                attempts=tries, first_attempt_ok=first_ok, tokens_in=900 * tries, tokens_out=300 * tries,
                cost_usd=cost, latency_s=round(2 + 3 * rng.random(), 2),
            )
        )
        for attempt in range(1, tries + 1):
            last = attempt == tries
            attempt_ok = (ok and last) or (attempt == 1 and first_ok)
            attempts.append(
                AttemptRow(
                    problem_uid=problem.uid, attempt=attempt, purpose="initial" if attempt == 1 else "repair",
                    status="ok" if attempt_ok else "failed",
                    image_path=images[problem.image_type] if attempt_ok and last else None,
                    code="import matplotlib.pyplot as plt\n", error_class=None if attempt_ok else "render_error",
                    error_message=None if attempt_ok else "NameError: name 'np' is not defined",
                    render_s=0.4, cost_usd=0.003,
                )
            )
    return generations, attempts, skill


def _evaluation_rows(problems, generations, skill, rng, *, judge: str, answerer: str):
    items, answers, scores, psnr, ssim = [], [], [], [], []
    for problem, figure in zip(problems, generations, strict=True):
        ok = figure.status == "ok"
        items.append(EvaluationItemRow(problem_uid=problem.uid, status="ok" if ok else "no_image", figure_status=figure.status))
        for index, quiz in enumerate(problem.quizzes):
            right = ok and rng.random() < 0.4 + 0.55 * skill
            chosen = quiz.correct_option if right else rng.choice([k for k in OPTION_KEYS if k != quiz.correct_option])
            answers.append(
                QuizAnswerRow(
                    problem_uid=problem.uid, quiz_index=index, answerer=answerer, shuffle_seed=0,
                    presented_keys=list(OPTION_KEYS), raw_reply=f"Answer: {chosen}" if ok else None,
                    parsed_key=chosen if ok else None, correct=right,
                    error_class=None if ok else "missing_image",
                )
            )
        for dimension, _ in JUDGE_DIMENSIONS:
            score = min(2, max(0, round(rng.gauss(2 * skill, 0.6)))) if ok else 0
            scores.append(
                JudgeScoreRow(
                    problem_uid=problem.uid, judge=judge, dimension=dimension, score=score,
                    rationale=f"{dimension}: synthetic rationale" if ok else "no image",
                    error_class=None if ok else "missing_image",
                )
            )
        if ok:
            psnr.append(MetricValueRow(problem_uid=problem.uid, metric="psnr", value=round(8 + 14 * skill * rng.random(), 3)))
            ssim.append(MetricValueRow(problem_uid=problem.uid, metric="ssim", value=round(0.3 + 0.6 * skill * rng.random(), 4)))
    return items, answers, scores, psnr, ssim


def build_store(home: Path, *, runs: int, problem_count: int, quizzes: int, seed: int = 0) -> dict[str, float]:
    """Write the synthetic workspace; returns seconds per phase."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    workspace = Workspace(home).ensure()
    store = Store.open(workspace)
    store.upsert_reported_results(load_reported_results())
    problems = synthetic_problems(problem_count, quizzes)
    store.upsert_problems(problems)
    images = placeholder_images(workspace)
    timings["problems"] = time.perf_counter() - started
    rng = random.Random(seed)
    writing = aggregating = 0.0
    for index in range(runs):
        kind = KINDS[index % len(KINDS)]
        model = f"bench-model-{index:02d}"
        tick = time.perf_counter()
        run = Run(
            run_id=f"gen-bench-{index:02d}", name=f"bench-{kind}-{index:02d}", kind="generation",
            generator_kind=kind, access="open" if index % 2 else "closed", model=model,
            spec_name={"code": "imgcoder", "pixel": "pixel", "baseline": "text-card"}[kind],
            spec_params={"model": model}, selection={"subject": None, "image_type": None, "source": None, "ids": [], "limit": None},
        )
        store.upsert_run(run)
        generations, attempts, skill = _generation_rows(problems, index, runs, images, rng)
        store.save_generations(run.run_id, generations, attempts)
        items, answers, scores, psnr, ssim = _evaluation_rows(
            problems, generations, skill, rng, judge="bench-judge", answerer="bench-vqa"
        )
        evaluations = [
            (EvaluatorSpec.create("vqa", model="bench-vqa"), {"quiz_answers": answers}),
            (EvaluatorSpec.create("judge", judges=["bench-judge"]), {"judge_scores": scores}),
            (EvaluatorSpec.create("psnr"), {"metric_values": psnr}),
            (EvaluatorSpec.create("ssim"), {"metric_values": ssim}),
        ]
        evaluation_runs = []
        for spec, rows in evaluations:
            evaluation = create_evaluation_run(store, generation=run, spec=spec)
            store.save_evaluation(evaluation.run_id, items, **rows)
            evaluation_runs.append((evaluation.run_id, spec))
        writing += time.perf_counter() - tick
        tick = time.perf_counter()
        store_run_aggregates(store, run.run_id)
        for run_id, spec in evaluation_runs:
            store_evaluation_aggregates(store, run_id, spec=spec)
        aggregating += time.perf_counter() - tick
        print(f"\r  run {index + 1}/{runs} written", end="", flush=True)
    print()
    timings["runs"] = writing
    timings["aggregates"] = aggregating
    return timings


# ---- timing pages in chromium ---------------------------------------------------------------------


# The script run is over (what the server computes), whether or not the browser has drawn it all.
SCRIPT_DONE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  return app && app.dataset.testScriptState === 'notRunning' && main &&
    main.querySelector('[data-testid="stHeading"], [data-testid="stException"]') !== null;
}"""


_LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


@dataclass
class Visits:
    done: list[float] = field(default_factory=list)
    """Seconds from navigation until the page is done (script over, everything drawn)."""
    script: list[float] = field(default_factory=list)
    """Seconds from navigation until the script run is over (drawing may still go on)."""
    problem: str | None = None
    """The first exception the page showed, if any."""
    external: set[str] = field(default_factory=set)
    """Requests to hosts other than loopback (they fail at once; listed so none goes unnoticed)."""

    @property
    def first(self) -> float:
        return self.done[0]

    @property
    def repeat(self) -> float:
        return statistics.median(self.done[1:] or self.done)

    @property
    def repeat_script(self) -> float:
        return statistics.median(self.script[1:] or self.script)


def time_visits(context, base_url: str, route: str, visits: int, driver) -> Visits:
    """Open ``route`` ``visits`` times, each in a fresh tab (a new Streamlit session)."""
    result = Visits()
    for _ in range(visits):
        page = context.new_page()
        page.on("request", lambda request: None if request.url.startswith(_LOCAL) else result.external.add(request.url))
        try:
            start = time.perf_counter()
            page.goto(f"{base_url}/{route}")
            page.wait_for_function(SCRIPT_DONE_JS, timeout=BENCH_TIMEOUT_MS, polling=25)
            result.script.append(time.perf_counter() - start)
            page.wait_for_function(driver.PAGE_DONE_JS, timeout=BENCH_TIMEOUT_MS, polling=25)
            result.done.append(time.perf_counter() - start)
            error = page.locator('[data-testid="stMain"] [data-testid="stException"]')
            if result.problem is None and error.count():
                result.problem = error.first.inner_text()[:300]
        finally:
            page.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--problems", type=int, default=1387)
    parser.add_argument("--quizzes", type=int, default=4)
    parser.add_argument("--visits", type=int, default=3, help="visits per page (first cold, rest warm)")
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it (reused when present)")
    args = parser.parse_args()

    driver = streamlit_driver
    missing = driver.chromium_missing_reason()
    if missing:
        print(f"skipped: {missing}")
        return 0
    from playwright.sync_api import sync_playwright

    pages = driver.registered_pages()
    with tempfile.TemporaryDirectory(prefix="scigen-dashboard-bench-") as scratch:
        home = args.keep or Path(scratch) / "home"
        if Workspace(home).db_path.exists():
            print(f"reusing the workspace at {home}")
            timings = {}
        else:
            print(f"building a synthetic store: {args.runs} runs x {args.problems} problems x {args.quizzes} quizzes")
            timings = build_store(home, runs=args.runs, problem_count=args.problems, quizzes=args.quizzes)
        for phase, seconds in timings.items():
            print(f"  {phase:<11} {seconds:7.1f} s")
        print(f"  store size  {Workspace(home).db_path.stat().st_size / 1e6:7.1f} MB")

        env = {"SCIGEN_HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "MPLBACKEND": "Agg"}
        logs = Path(scratch)
        results: dict[str, Visits] = {}
        with sync_playwright() as playwright, driver.chromium_context(
            playwright, extra_args=(driver.LOOPBACK_ONLY_FLAG,)
        ) as context:
            with driver.streamlit_server(TRIVIAL_APP, env=env, log_path=logs / "trivial.log") as trivial:
                baseline = time_visits(context, trivial.base_url, "", args.visits, driver)
            with driver.streamlit_server(CHART_APP, env=env, log_path=logs / "chart.log") as chart:
                chart_floor = time_visits(context, chart.base_url, "", args.visits, driver)
            with driver.streamlit_server(driver.APP_SCRIPT, env=env, log_path=logs / "app.log") as app:
                for page in sorted(pages, key=lambda p: not p.default):  # the default page pays the imports
                    results[page.title] = time_visits(context, app.base_url, page.route, args.visits, driver)

    load = os.getloadavg()
    print(f"\npages registered in streamlit_app.py: {', '.join(p.title for p in pages)}")
    print(f"load average after the run: {load[0]:.1f} (cores: {os.cpu_count()}); {args.visits} visits per page")
    print("first: the first visit (the page's data not cached yet; the default page also pays the imports);")
    print("repeat: median of the later visits; script: until the script run ended; x: ratio to the trivial page;")
    print("(one chart): bench/trivial_chart_app.py, a header and one tiny Plotly chart, for reference")
    header = f"{'page':<14} {'first s':>8} {'repeat s':>9} {'script s':>9} {'x first':>8} {'x repeat':>9}  notes"
    print("\n" + header)
    print(f"{'(trivial)':<14} {baseline.first:8.2f} {baseline.repeat:9.2f} {baseline.repeat_script:9.2f} {1:8.2f} {1:9.2f}")
    worst = 0.0
    for title, visits in [("(one chart)", chart_floor), *results.items()]:
        ratio_first, ratio_repeat = visits.first / baseline.first, visits.repeat / baseline.repeat
        if title in results:
            worst = max(worst, ratio_repeat)
        note = "over target" if title in results and ratio_repeat > TARGET_RATIO else ""
        if visits.problem:
            note += f" EXCEPTION: {visits.problem.splitlines()[0]}"
        if visits.external:
            note += f" tried {len(visits.external)} non-local URL(s), e.g. {sorted(visits.external)[0]}"
        print(
            f"{title:<14} {visits.first:8.2f} {visits.repeat:9.2f} {visits.repeat_script:9.2f} "
            f"{ratio_first:8.2f} {ratio_repeat:9.2f}  {note}"
        )
    print(f"\nworst repeat-visit ratio: {worst:.2f}x (target <= {TARGET_RATIO:.0f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
