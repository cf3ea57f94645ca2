"""Reference figures: a problem's reference image, else its gold script rendered once and cached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.evaluation.references import (
    GOLD_RENDER_SETTINGS,
    ensure_gold_figures,
    reference_figure,
    reference_figures,
    resolve_reference_image,
)
from core.models.fake_server import solid_png
from core.problems.models import Problem
from core.problems.sample import load_sample
from core.workspace import PROJECT_ROOT, Workspace

SCRIPT = (
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(2, 2))\n"
    "ax.plot([0, 1], [0, 1])\n"
    "ax.set_title('gold')\n"
)
BROKEN = "import matplotlib.pyplot as plt\nraise ValueError('no figure today')\n"


def problem(pid: str, **fields) -> Problem:
    return Problem(id=pid, source="custom", question="Draw a line.", subject="Math",
                   image_type="Math - Plane Geometric", **fields)


@pytest.fixture(scope="module")
def pool() -> Iterator:
    from core.sandbox import RenderPool

    with RenderPool() as render_pool:
        yield render_pool


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "home").ensure()


def test_reference_images_resolve_absolute_or_relative(workspace: Workspace, tmp_path: Path) -> None:
    absolute = tmp_path / "seephys_1.png"
    absolute.write_bytes(solid_png(16, 16))
    assert resolve_reference_image(str(absolute), workspace) == absolute.resolve()
    in_home = workspace.home / "refs" / "x.png"
    in_home.parent.mkdir()
    in_home.write_bytes(solid_png(16, 16))
    assert resolve_reference_image("refs/x.png", workspace) == in_home.resolve()
    in_project = next((PROJECT_ROOT / "data" / "sample" / "scripts").glob("*.py"))
    relative = str(in_project.relative_to(PROJECT_ROOT))
    assert resolve_reference_image(relative, workspace) == in_project.resolve()
    assert resolve_reference_image("refs/missing.png", workspace) is None
    assert resolve_reference_image(None, workspace) is None


def test_reference_image_first_then_gold_rendered_once_and_cached(workspace, tmp_path, pool) -> None:
    image = tmp_path / "published.png"
    image.write_bytes(solid_png(20, 20))
    both = problem("both", reference_image=str(image), reference_code=SCRIPT)
    assert reference_figure(both, workspace, pool) == image.resolve()
    assert not workspace.gold_figure_path(both.uid).exists()  # the published image is enough

    gold_only = problem("gold", reference_code=SCRIPT)
    path = reference_figure(gold_only, workspace, pool)
    assert path == workspace.gold_figure_path(gold_only.uid) and path.read_bytes().startswith(b"\x89PNG")
    # same settings as a direct render: the 'reference' generator reproduces it byte for byte
    assert path.read_bytes() == pool.render(SCRIPT, **GOLD_RENDER_SETTINGS).png
    stamp = path.stat().st_mtime_ns
    assert reference_figure(gold_only, workspace, pool) == path and path.stat().st_mtime_ns == stamp

    broken = problem("broken", reference_code=BROKEN)
    assert reference_figure(broken, workspace, pool) is None
    assert not workspace.gold_figure_path(broken.uid).exists()  # a failure is not cached
    assert reference_figure(problem("none"), workspace, pool) is None
    missing_image = problem("gone", reference_image=str(tmp_path / "gone.png"))
    assert reference_figure(missing_image, workspace, pool) is None


def test_ensure_gold_figures_renders_what_is_missing(workspace, pool) -> None:
    problems = [problem("a", reference_code=SCRIPT), problem("b", reference_code=SCRIPT),
                problem("c", reference_code=BROKEN), problem("d")]
    workspace.gold_figure_path("custom:a").write_bytes(solid_png(8, 8))  # already cached
    ticks: list[tuple[int, int]] = []
    report = ensure_gold_figures(problems, workspace, pool, progress=lambda done, total: ticks.append((done, total)))
    assert report.cached == ["custom:a"] and report.rendered == ["custom:b"]
    assert set(report.paths) == {"custom:a", "custom:b"} and report.without_script == ["custom:d"]
    assert list(report.failed) == ["custom:c"] and "runtime_error" in report.failed["custom:c"]
    assert ticks[-1] == (3, 3) and len(ticks) == 3
    assert "2 gold figures (1 rendered, 1 cached); 1 failed to render" in report.summary()
    forced = ensure_gold_figures(problems[:1], workspace, pool, force=True)
    assert forced.rendered == ["custom:a"] and workspace.gold_figure_path("custom:a").stat().st_size > 100


def test_reference_figures_for_the_bundled_sample(workspace, pool) -> None:
    sample = load_sample()[:3]
    found, missing = reference_figures([*sample, problem("none")], workspace, pool)
    assert set(found) == {p.uid for p in sample} and all(path.is_file() for path in found.values())
    assert missing == {"custom:none": "no reference image or reference script"}
