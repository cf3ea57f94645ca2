"""Offline Inception weights (converted, verified, cached) and FID/KID equal to torch-fidelity's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from PIL import Image, ImageDraw

from core.evaluation import create_evaluator, inception
from core.evaluation.base import EvaluationContext, EvaluatorSpec, FigureUnderTest
from core.evaluation.fid import (
    DEFAULT_MIN_IMAGES,
    FidKidEvaluator,
    KidEvaluator,
    clear_feature_cache,
    compute_fid_kid,
    extract_features,
    fidelity_order,
    folder_images,
    frechet_distance,
)
from core.torchvision_guard import ensure_torchvision_importable

pytestmark = pytest.mark.slow


def draw_set(folder: Path, count: int, shape: str, size: tuple[int, int], seed: int) -> list[Path]:
    """``count`` small line drawings of ellipses or rectangles (two visibly different sets)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        image = Image.new("RGB", size, "white")
        pen = ImageDraw.Draw(image)
        for _ in range(4):
            x0, y0 = (int(v) for v in rng.integers(0, min(size) - 30, 2))
            w, h = (int(v) for v in rng.integers(10, 30, 2))
            colour = tuple(int(v) for v in rng.integers(0, 200, 3))
            draw = pen.ellipse if shape == "ellipse" else pen.rectangle
            draw([x0, y0, x0 + w, y0 + h], outline=colour, width=2)
        path = folder / f"{index:03d}.png"
        image.save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return inception.ensure_inception_weights(tmp_path_factory.mktemp("weights") / "inception.pth")


@pytest.fixture(scope="session")
def two_folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sets")
    draw_set(root / "generated", 8, "ellipse", (96, 80), seed=1)
    draw_set(root / "reference", 6, "rectangle", (120, 90), seed=2)
    return root / "generated", root / "reference"


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_converted_weights_give_the_torchscript_features(weights: Path) -> None:
    record = inception.verification_record(weights)
    assert record is not None and record["max_feature_abs_diff"] <= inception.FEATURE_TOLERANCE
    assert record["source_sha1"] == inception.SOURCE_SHA1

    # an independent check on images the conversion never saw: a real-looking figure and noise
    figure = Image.new("RGB", (299, 299), "white")
    pen = ImageDraw.Draw(figure)
    pen.line([(20, 250), (280, 250), (280, 40), (20, 250)], fill="black", width=3)
    pen.ellipse([120, 100, 190, 170], outline="blue", width=4)
    pen.text((30, 30), "F = 12 N", fill="black")
    noise = np.random.default_rng(7).integers(0, 256, (299, 299, 3), dtype=np.uint8)
    batch = torch.from_numpy(np.stack([np.asarray(figure), noise])).permute(0, 3, 1, 2).contiguous()
    source = torch.jit.load(str(inception.source_model_path()), map_location="cpu").eval()
    extractor = inception.load_inception(weights)
    with torch.inference_mode():
        ours = extractor(batch)[0]
        theirs = source((batch.float() - 128) / 128)
    assert ours.shape == theirs.shape == (2, 2048)
    assert float((ours - theirs).abs().max()) < 1e-4
    assert float(ours.abs().max()) > 0.1  # real activations, not an all-zero network


def test_conversion_is_deterministic_and_the_cache_is_checked(weights: Path, tmp_path: Path) -> None:
    again = inception.convert_source_weights(inception.source_model_path())
    stored = torch.load(weights, weights_only=False)
    assert list(again) == list(stored)
    for name, tensor in again.items():
        torch.testing.assert_close(tensor, stored[name], rtol=0, atol=0, equal_nan=True)
    assert torch.isnan(stored["fc.weight"]).all()  # no classifier in the source: logits are never made up

    mtime = weights.stat().st_mtime_ns
    assert inception.ensure_inception_weights(weights) == weights and weights.stat().st_mtime_ns == mtime

    tampered = tmp_path / "inception.pth"
    shutil.copy(weights, tampered)
    shutil.copy(weights.with_name(weights.name + ".json"), tampered.with_name(tampered.name + ".json"))
    assert inception.verification_record(tampered) is not None
    with tampered.open("r+b") as handle:
        handle.seek(-100, 2)
        handle.write(b"\x00" * 8)
    assert inception.verification_record(tampered) is None  # ensure_inception_weights would convert again


def test_default_weights_path_is_under_the_workspace_or_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workspace
) -> None:
    monkeypatch.delenv(inception.WEIGHTS_ENV, raising=False)
    assert inception.default_weights_path(workspace).parent == workspace.cache_dir / "weights"
    monkeypatch.setenv(inception.WEIGHTS_ENV, str(tmp_path / "mine.pth"))
    assert inception.default_weights_path(workspace) == tmp_path / "mine.pth"


def test_fid_and_kid_equal_torch_fidelity_on_two_folders(
    weights: Path, two_folders: tuple[Path, Path]
) -> None:
    """The slowest test (~15 s idle): torch-fidelity's FID takes eigenvalues of a 2048x2048 matrix."""
    ensure_torchvision_importable()
    import torch_fidelity

    generated, reference = two_folders
    clear_feature_cache()  # features computed here, not remembered from another test
    ours = compute_fid_kid(folder_images(generated), folder_images(reference), weights_path=weights)
    theirs = torch_fidelity.calculate_metrics(
        input1=str(generated),
        input2=str(reference),
        fid=True,
        kid=True,
        kid_subset_size=6,
        feature_extractor_weights_path=str(weights),
        cuda=False,
        verbose=False,
        save_cpu_ram=True,
    )
    assert (ours.n_generated, ours.n_reference, ours.kid_subset_size) == (8, 6, 6)
    # FID: torch-fidelity's sqrt-eigenvalues of a rank-deficient 2048x2048 product carry ~1e-7 noise
    assert ours.fid == pytest.approx(theirs["frechet_inception_distance"], rel=1e-6, abs=1e-3)
    assert ours.kid == theirs["kernel_inception_distance_mean"]
    assert ours.kid_std == theirs["kernel_inception_distance_std"]
    assert ours.fid > 10 and ours.kid > 0


def reference_fid(first: np.ndarray, second: np.ndarray) -> float:
    """The textbook formula with scipy's matrix square root."""
    mean_1, mean_2 = first.mean(0), second.mean(0)
    cov_1, cov_2 = np.cov(first, rowvar=False), np.cov(second, rowvar=False)
    root = scipy.linalg.sqrtm(cov_1 @ cov_2).real
    return float(((mean_1 - mean_2) ** 2).sum() + np.trace(cov_1) + np.trace(cov_2) - 2 * np.trace(root))


@pytest.mark.filterwarnings("ignore:Matrix is singular")  # expected: fewer samples than dimensions
@pytest.mark.parametrize("sizes", [(5, 7), (7, 5), (40, 30)])
def test_frechet_distance_matches_the_textbook_formula(sizes: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(sizes))
    first = np.maximum(rng.normal(0.2, 1.0, (sizes[0], 16)), 0).astype(np.float32)
    second = np.maximum(rng.normal(0.5, 1.5, (sizes[1], 16)), 0).astype(np.float32)
    # (5, 7) and (7, 5) take the low-rank route (fewer samples than the 16 dimensions), (40, 30) torch-fidelity's
    value = frechet_distance(torch.from_numpy(first), torch.from_numpy(second))
    assert value == pytest.approx(
        reference_fid(first.astype(np.float64), second.astype(np.float64)), rel=1e-6
    )
    assert frechet_distance(torch.from_numpy(first), torch.from_numpy(first)) == pytest.approx(0.0, abs=1e-6)


def figures_for(paths: list[Path]) -> list[FigureUnderTest]:
    return [
        FigureUnderTest(run_id="run", problem_uid=f"custom:{path.stem}", status="ok", image_path=path)
        for path in paths
    ]


def test_set_evaluator_excludes_failed_figures_and_counts_them(
    weights: Path, two_folders: tuple[Path, Path], tmp_path: Path
) -> None:
    generated, reference = two_folders
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    figures = [
        *figures_for(folder_images(generated)),
        FigureUnderTest(run_id="run", problem_uid="custom:f1", status="failed", error_class="timeout"),
        FigureUnderTest(run_id="run", problem_uid="custom:f2", status="ok", image_path=tmp_path / "gone.png"),
        FigureUnderTest(run_id="run", problem_uid="custom:f3", status="ok", image_path=broken),
    ]
    references = {f"custom:r{index}": path for index, path in enumerate(folder_images(reference))}
    evaluator = create_evaluator(EvaluatorSpec.create("fid", weights_path=str(weights), min_images=5))
    assert isinstance(evaluator, FidKidEvaluator) and evaluator.produces == ("fid", "kid", "kid_std")
    with pytest.raises(ValueError, match="fid: param min_images must be an integer >= 2, not 1"):
        create_evaluator(EvaluatorSpec.create("fid", min_images=1))

    output = evaluator.evaluate_set(figures, references, EvaluationContext())
    expected = compute_fid_kid(folder_images(generated), folder_images(reference), weights_path=weights)
    assert output.set_values == {"fid": expected.fid, "kid": expected.kid, "kid_std": expected.kid_std}
    notes = "\n".join(output.notes)
    assert "1 figure(s) failed to render and are excluded" in notes
    assert "1 figure(s) have no image file and are excluded: custom:f2" in notes
    assert f"unreadable generated figure excluded: {broken}: cannot read image" in notes
    assert "over 8 generated vs 6 reference figures" in notes
    assert "rank-deficient" in notes


def test_set_evaluator_says_why_when_too_few_images_or_no_weights(
    weights: Path, two_folders: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated, reference = two_folders
    references = {f"custom:r{index}": path for index, path in enumerate(folder_images(reference))}
    few = figures_for(folder_images(generated)[:3])
    assert DEFAULT_MIN_IMAGES > 6
    output = FidKidEvaluator(EvaluatorSpec.create("fid", weights_path=str(weights))).evaluate_set(
        few, references, EvaluationContext()
    )
    assert output.set_values == {"fid": None, "kid": None, "kid_std": None}
    assert output.notes == [
        f"fid/kid unavailable: 3 usable generated and 6 reference figure(s); at least {DEFAULT_MIN_IMAGES} "
        "of each are needed"
    ]
    lowered = KidEvaluator(EvaluatorSpec.create("kid", weights_path=str(weights), min_images=3))
    values = lowered.evaluate_set(few, references, EvaluationContext()).set_values
    assert values["fid"] is not None and values["kid"] is not None

    garbage = tmp_path / "garbage.pth"  # user-supplied weights (no sidecar) that are not weights
    garbage.write_bytes(b"not a checkpoint")
    output = FidKidEvaluator(
        EvaluatorSpec.create("fid", weights_path=str(garbage), min_images=5)
    ).evaluate_set(figures_for(folder_images(generated)), references, EvaluationContext())
    assert output.set_values == {"fid": None, "kid": None, "kid_std": None}
    assert output.notes[-1].startswith(f"fid/kid unavailable: cannot load Inception weights {garbage}")

    # the source model is not the published file: no weights can be made, and nothing is invented
    monkeypatch.setattr(inception, "SOURCE_SHA1", "0" * 40)
    missing_weights = FidKidEvaluator(
        EvaluatorSpec.create("fid", weights_path=str(tmp_path / "none.pth"), min_images=5)
    )
    output = missing_weights.evaluate_set(
        figures_for(folder_images(generated)), references, EvaluationContext()
    )
    assert output.set_values == {"fid": None, "kid": None, "kid_std": None}
    assert output.notes[-1].startswith("fid/kid unavailable: no Inception weights")
    assert not (tmp_path / "none.pth").exists()


def test_features_are_remembered_per_unchanged_file(weights: Path, tmp_path: Path) -> None:
    first, second = draw_set(tmp_path / "a", 2, "ellipse", (96, 80), seed=3)
    before = extract_features([first], weights).features
    shutil.copy(second, first)  # same path, new content: must not reuse the old features
    after = extract_features([first], weights).features
    assert not torch.equal(before, after)
    assert torch.equal(after, extract_features([second], weights).features)


@pytest.mark.realdata
def test_fid_on_real_seephys_figures(weights: Path, scigenbench_dir: Path, tmp_path: Path) -> None:
    images = sorted((scigenbench_dir / "seephys_images").glob("*.png"))[:8]
    if len(images) < 8:
        pytest.skip(f"fewer than 8 SeePhys figures in {scigenbench_dir / 'seephys_images'}")
    shrunk = []
    for path in images:
        image = Image.open(path).convert("RGB")
        target = tmp_path / path.name
        image.resize((max(16, image.width // 3), max(16, image.height // 3))).save(target)
        shrunk.append(target)
    real = extract_features(fidelity_order(images), weights)
    assert real.features.shape == (8, 2048) and real.paths == tuple(fidelity_order(images))

    same = frechet_distance(real.features, real.features)
    degraded = compute_fid_kid(shrunk, images, weights_path=weights)
    assert abs(same) < 1e-6
    assert degraded.fid > 1.0 and np.isfinite(degraded.kid)
    json.dumps(degraded.model_dump())  # plain numbers, storable as they are
