"""Seeding the workspace with the bundled data, once.

``make run`` calls ``scigen init`` before starting the dashboard, so a fresh clone shows real
content on every page:

1. the bundled sample problems (``data/sample``) and the paper's reported results;
2. the sample's gold figures, rendered in the sandbox from their reference scripts;
3. two offline generation runs over the sample — ``sample-reference`` (the gold scripts) and
   ``sample-text-card`` (the adversarial baseline: given values as text, no diagram) — each scored
   by the offline evaluators: OCR quiz answers, figure facts, PSNR and SSIM against the gold
   figures.

Steps 2–3 are the slow part (about a minute on two cores: rendering and scoring the sample's figures) and only ``scigen init``
asks for them (``runs=True``). A fingerprint of the bundled files and of what was seeded is kept
in the store; when it matches, seeding is skipped, so a second ``make run`` starts in seconds.
Generation and evaluation jobs resume, so an interrupted seed finishes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.problems.sample import load_sample
from core.store import Store
from core.store.reported import load_reported_results
from core.workspace import REPORTED_DIR, SAMPLE_DIR, Workspace

# Bump when seeding itself changes what it writes, so existing workspaces get re-seeded.
SEED_FORMAT = 2
SEED_META_KEY = "seed_fingerprint"

# The offline runs seeded over the bundled sample, and the offline evaluators that score them.
SEED_RUNS: tuple[tuple[str, str], ...] = (
    ("sample-reference", "reference"),
    ("sample-text-card", "text-card"),
)
SEED_EVALUATORS: tuple[str, ...] = ("ocr", "figure-facts", "psnr", "ssim")

Progress = Callable[[str, int, int], None]


@dataclass
class SeedReport:
    skipped: bool
    steps: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.skipped:
            return "workspace already seeded (bundled data unchanged); nothing to do"
        return "seeded workspace:\n" + "\n".join(f"  - {step}" for step in self.steps)


def bundled_fingerprint(*, runs: bool) -> str:
    """A hash over every bundled file that seeding reads, the seed format and what is seeded."""
    digest = hashlib.sha256(f"seed-format-{SEED_FORMAT}-runs-{runs}".encode())
    for base in (SAMPLE_DIR, REPORTED_DIR):
        for path in sorted(p for p in Path(base).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def seed_workspace(
    workspace: Workspace,
    *,
    progress: Progress | None = None,
    force: bool = False,
    runs: bool = False,
    sample_ids: list[str] | None = None,
) -> SeedReport:
    """Load the bundled data into ``workspace``; with ``runs`` also the scored offline runs.

    ``sample_ids`` limits the seeded runs to those sample problem uids (tests use a few).
    """
    workspace.ensure()
    store = Store.open(workspace)
    fingerprint = bundled_fingerprint(runs=runs)
    if not force and store.get_meta(SEED_META_KEY) == fingerprint:
        return SeedReport(skipped=True)

    report = SeedReport(skipped=False)
    problems = load_sample()
    counts = store.upsert_problems(problems)
    _tick(progress, "sample problems", len(problems), len(problems))
    report.steps.append(
        f"sample problems: {len(problems)} ({counts.inserted} new, {counts.updated} updated, "
        f"{counts.unchanged} unchanged)"
    )

    written = store.upsert_reported_results(load_reported_results())
    _tick(progress, "reported results", written, written)
    report.steps.append(f"reported runs (arXiv 2601.17027): {written}")

    if runs:
        chosen = [p for p in problems if sample_ids is None or p.uid in set(sample_ids)]
        report.steps.extend(_seed_runs(store, workspace, chosen, progress))

    store.set_meta(SEED_META_KEY, fingerprint)
    return report


def _seed_runs(store: Store, workspace: Workspace, problems: list, progress: Progress | None) -> list[str]:
    # Deferred imports: the plain seed (tests, the dashboard's fixtures) stays light.
    from core.evaluation.base import EvaluatorSpec
    from core.evaluation.references import ensure_gold_figures
    from core.generation import GeneratorSpec
    from core.jobs import ProblemSelection, evaluate, generate
    from core.sandbox import RenderPool

    steps: list[str] = []
    selection = ProblemSelection(ids=[p.uid for p in problems])
    with RenderPool() as pool:
        gold = ensure_gold_figures(
            problems, workspace, pool, progress=lambda done, total: _tick(progress, "gold figures", done, total)
        )
        steps.append(f"gold figures: {len(gold.paths)} ready")
        for run_name, generator in SEED_RUNS:
            label = f"run {run_name}"
            summary = generate(
                store, workspace, run_name=run_name, spec=GeneratorSpec.create(generator),
                selection=selection, render_pool=pool,
                on_problem=lambda done, label=label: _tick(progress, label, done.done, done.to_do),
            )
            steps.append(f"run {run_name} ({generator}): {summary.ok} figures, {summary.failed} failed")
            for evaluator in SEED_EVALUATORS:
                step = f"{run_name} · {evaluator}"
                evaluate(
                    store, workspace, generation_run=run_name, spec=EvaluatorSpec.create(evaluator),
                    render_pool=pool,
                    on_item=lambda done, step=step: _tick(progress, step, done.done, done.to_do),
                )
            steps.append(f"run {run_name} scored by {', '.join(SEED_EVALUATORS)}")
    return steps


def _tick(progress: Progress | None, step: str, done: int, total: int) -> None:
    if progress is not None:
        progress(step, done, total)
