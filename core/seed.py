"""Seeding the workspace with the bundled data, once.

``make run`` calls ``scigen init`` before starting the dashboard, so a fresh clone shows real
content: the bundled sample problems (with gold figures rendered from their reference scripts)
and the paper's reported results. A fingerprint of the bundled files is kept in the store; when it
matches, seeding is skipped, so a second ``make run`` starts in seconds.
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
SEED_FORMAT = 1
SEED_META_KEY = "seed_fingerprint"

Progress = Callable[[str, int, int], None]


@dataclass
class SeedReport:
    skipped: bool
    steps: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.skipped:
            return "workspace already seeded (bundled data unchanged); nothing to do"
        return "seeded workspace:\n" + "\n".join(f"  - {step}" for step in self.steps)


def bundled_fingerprint() -> str:
    """A hash over every bundled file that seeding reads, plus the seed format."""
    digest = hashlib.sha256(f"seed-format-{SEED_FORMAT}".encode())
    for base in (SAMPLE_DIR, REPORTED_DIR):
        for path in sorted(p for p in Path(base).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def seed_workspace(workspace: Workspace, *, progress: Progress | None = None, force: bool = False) -> SeedReport:
    workspace.ensure()
    store = Store.open(workspace)
    fingerprint = bundled_fingerprint()
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

    store.set_meta(SEED_META_KEY, fingerprint)
    return report


def _tick(progress: Progress | None, step: str, done: int, total: int) -> None:
    if progress is not None:
        progress(step, done, total)
