"""Reference figures: what PSNR, SSIM, FID and KID compare a generated figure with.

A problem's reference figure is, in this order:

1. its ``reference_image`` (SeePhys items: the published figure), when the file exists. The
   importer stores absolute paths; a relative one is looked up against the project root, then the
   workspace home (as the dashboard does);
2. else its *gold figure*: ``reference_code`` (the bundled sample's hand-written script) rendered in
   the sandbox, cached at ``workspace.gold_figure_path(uid)``. A missing gold figure is rendered on
   demand and written atomically; a script that fails to render gives no reference (nothing is
   cached, so a fixed script is picked up next time).

Gold figures are rendered with :data:`GOLD_RENDER_SETTINGS`, the same settings as the
``reference`` generator's defaults, so a ``reference`` run reproduces its gold figures exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.files import write_bytes_atomically
from core.problems import Problem
from core.workspace import PROJECT_ROOT, Workspace

if TYPE_CHECKING:
    from core.sandbox import RenderPool

__all__ = [
    "GOLD_RENDER_SETTINGS",
    "GoldFigures",
    "ensure_gold_figures",
    "reference_figure",
    "reference_figures",
    "resolve_reference_image",
]

GOLD_RENDER_SETTINGS: dict[str, Any] = {"dpi": 150, "timeout_s": 20.0, "memory_mb": 1024}
"""Sandbox settings of gold renders: those of core.generation.rendering.RENDER_DEFAULTS."""

Progress = Callable[[int, int], None]
"""``progress(done, total)`` after each gold figure."""


def resolve_reference_image(path: str | None, workspace: Workspace) -> Path | None:
    """An existing reference image file: absolute as is, relative against the project root, then
    the workspace home; None when there is no such file."""
    if not path:
        return None
    candidate = Path(path).expanduser()
    bases = [Path()] if candidate.is_absolute() else [PROJECT_ROOT, workspace.home]
    for base in bases:
        full = (base / candidate).resolve()
        if full.is_file():
            return full
    return None


def _submit(pool: RenderPool, code: str) -> Future:
    return pool.submit(code, **GOLD_RENDER_SETTINGS)


def _outcome(problem: Problem, workspace: Workspace, result: Any) -> tuple[Path | None, str | None]:
    """Write a finished gold render; (path, None) or (None, why not)."""
    if getattr(result, "ok", False) and result.png:
        path = workspace.gold_figure_path(problem.uid)
        write_bytes_atomically(path, result.png)
        return path, None
    error_class = getattr(result, "error_class", None)
    reason = getattr(result, "error", None) or "no figure"
    label = getattr(error_class, "value", error_class) or "render_failed"
    return None, f"{label}: {reason}"


def reference_figure(problem: Problem, workspace: Workspace, render_pool: RenderPool | None = None) -> Path | None:
    """The problem's reference figure (see the module docstring), or None when it has none.

    A gold figure that is not cached yet is rendered now through ``render_pool`` (default: the
    process-wide sandbox pool) and cached; a failed render returns None.
    """
    image = resolve_reference_image(problem.reference_image, workspace)
    if image is not None:
        return image
    if not problem.reference_code:
        return None
    gold = workspace.gold_figure_path(problem.uid)
    if gold.is_file():
        return gold
    if render_pool is None:
        from core.sandbox import default_pool

        render_pool = default_pool()
    try:
        result = _submit(render_pool, problem.reference_code).result()
    except Exception:  # noqa: BLE001 - the sandbox refused or is down: no reference, never a crash
        return None
    path, _ = _outcome(problem, workspace, result)
    return path


@dataclass
class GoldFigures:
    """What :func:`ensure_gold_figures` found and did, keyed by problem uid."""

    paths: dict[str, Path] = field(default_factory=dict)
    """Every gold figure now on disk (cached before or rendered now)."""
    rendered: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Scripts that did not render, with the reason (error class: message)."""
    without_script: list[str] = field(default_factory=list)
    """Problems with no reference_code (nothing to render)."""

    def summary(self) -> str:
        parts = [f"{len(self.paths)} gold figures ({len(self.rendered)} rendered, {len(self.cached)} cached)"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed to render ({', '.join(sorted(self.failed)[:5])})")
        return "; ".join(parts)


def ensure_gold_figures(
    problems: Iterable[Problem],
    workspace: Workspace,
    pool: RenderPool,
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> GoldFigures:
    """Render the gold figure of every problem with a ``reference_code`` whose figure is not cached
    (all of them with ``force``), all queued on ``pool`` at once. Never raises for a script."""
    report = GoldFigures()
    pending: list[tuple[Problem, Future | None, str | None]] = []
    with_script = []
    for problem in problems:
        if not problem.reference_code:
            report.without_script.append(problem.uid)
            continue
        with_script.append(problem)
    total = len(with_script)
    done = 0
    for problem in with_script:
        gold = workspace.gold_figure_path(problem.uid)
        if gold.is_file() and not force:
            report.paths[problem.uid] = gold
            report.cached.append(problem.uid)
            done += 1
            if progress is not None:
                progress(done, total)
            continue
        try:
            pending.append((problem, _submit(pool, problem.reference_code), None))
        except (ValueError, TypeError) as exc:
            pending.append((problem, None, f"refused: {exc}"))
    for problem, future, refused in pending:
        if future is None:
            report.failed[problem.uid] = refused or "refused"
        else:
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - SandboxUnavailable and friends
                report.failed[problem.uid] = f"sandbox_error: {type(exc).__name__}: {exc}"
            else:
                path, reason = _outcome(problem, workspace, result)
                if path is not None:
                    report.paths[problem.uid] = path
                    report.rendered.append(problem.uid)
                else:
                    report.failed[problem.uid] = reason or "render failed"
        done += 1
        if progress is not None:
            progress(done, total)
    return report


def reference_figures(
    problems: Iterable[Problem], workspace: Workspace, pool: RenderPool | None = None
) -> tuple[dict[str, Path], dict[str, str]]:
    """(uid -> reference figure, uid -> why none) for many problems: reference images where they
    exist, gold figures otherwise, missing gold figures rendered in one batch on ``pool`` (default:
    the process-wide pool, started only when something needs rendering)."""
    found: dict[str, Path] = {}
    missing: dict[str, str] = {}
    to_render: list[Problem] = []
    for problem in problems:
        image = resolve_reference_image(problem.reference_image, workspace)
        if image is not None:
            found[problem.uid] = image
        elif problem.reference_code:
            gold = workspace.gold_figure_path(problem.uid)
            if gold.is_file():
                found[problem.uid] = gold
            else:
                to_render.append(problem)
        elif problem.reference_image:
            missing[problem.uid] = f"reference image {problem.reference_image} not found"
        else:
            missing[problem.uid] = "no reference image or reference script"
    if to_render:
        if pool is None:
            from core.sandbox import default_pool

            pool = default_pool()
        report = ensure_gold_figures(to_render, workspace, pool)
        found.update(report.paths)
        missing.update({uid: f"gold script did not render ({reason})" for uid, reason in report.failed.items()})
    return found, missing
