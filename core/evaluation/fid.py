"""FID and KID of a run's figures against reference figures, as torch-fidelity computes them.

* Images are read the way torch-fidelity reads a folder (``PIL.Image.open(p).convert("RGB")`` as
  uint8) and go whole through its ``inception-v3-compat`` extractor, which resizes each to 299x299
  with TF1-compatible bilinear interpolation (no crop: aspect ratio is not kept, as in the original
  TF FID). Offline weights come from :mod:`core.evaluation.inception`.
* Features are taken in sorted resolved-path order, as torch-fidelity orders a folder. KID is
  torch-fidelity's own ``kid_features_to_metric`` (same random subsets: bit-equal values).
  FID is ``|mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2)`` as in torch-fidelity, but while a set
  is smaller than the 2048 feature dimensions the trace term is taken exactly from the singular
  values of the small cross matrix ``A1 A2^T`` (``S = A^T A`` with ``A`` the centred features over
  ``sqrt(n - 1)``: the non-zero eigenvalues of ``S1 S2`` are the squared singular values of
  ``A1 A2^T``) instead of the eigenvalues of a 2048x2048 product, which cost torch-fidelity about
  half a minute on 2 CPU cores. The two agree to ~1e-4 absolute (torch-fidelity's square roots of
  the ~2000 spurious near-zero eigenvalues of the rank-deficient product add that much rounding
  noise); with 2048 or more images on both sides torch-fidelity's ``fid_statistics_to_metric`` is
  used as is.
  The generated set is input 1, the reference set input 2.
* KID: 100 subsets of size ``min(1000, n_generated, n_reference)``, polynomial kernel of degree 3,
  seed 2020 (torch-fidelity's defaults, with the subset size capped so small sets work).
* A set evaluator needs at least :data:`DEFAULT_MIN_IMAGES` usable images on each side (spec param
  ``min_images``, never below 2 — a covariance needs two samples). Below 2048 images per set the
  2048-d covariance is rank-deficient: FID is then biased upward and only comparable between runs
  of equal set sizes; the output notes say so.
"""

from __future__ import annotations

# torch and the Inception loader are imported where features are computed: registering the
# evaluators (a CLI --help, a dashboard picker) must not pay torch's ~2 s import.
import itertools
import os
import pickle
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field

from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    EvaluatorSpec,
    FigureUnderTest,
    SetEvaluator,
    register_evaluator,
)
from core.workspace import Workspace

if TYPE_CHECKING:
    import torch

DEFAULT_MIN_IMAGES = 10
ABSOLUTE_MIN_IMAGES = 2
FULL_RANK_IMAGES = 2048
KID_SUBSETS = 100
KID_SUBSET_SIZE_MAX = 1000
RNG_SEED = 2020
DEFAULT_BATCH_SIZE = 4  # measured on 2 CPU cores: small batches are as fast per image as large ones


class ImageReadError(ValueError):
    """An image file that cannot be decoded."""


def load_image(path: Path) -> torch.Tensor:
    """3xHxW uint8, read exactly as torch-fidelity's ImagesPathDataset reads a file (alpha dropped)."""
    import torch

    try:
        with Image.open(path) as image:
            array = np.array(image.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ImageReadError(f"{path}: cannot read image ({error})") from error
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def fidelity_order(paths: Sequence[Path]) -> list[Path]:
    """Sorted by resolved path string, the order torch-fidelity gives a folder's files."""
    return [Path(text) for text in sorted(os.path.realpath(path) for path in paths)]


@dataclass(frozen=True)
class FeatureSet:
    paths: tuple[Path, ...]
    """The images read, in feature order."""
    features: torch.Tensor
    """(n, 2048) float32 Inception pool features."""
    skipped: tuple[tuple[Path, str], ...] = ()
    """Images that could not be read, with the reason (only when skipping was asked for)."""


FEATURE_CACHE_SIZE = 8192
"""Images whose features are kept in memory (8 KiB each): a reference set scored against several
runs in one process is read once."""
_feature_cache: OrderedDict[tuple[str, int, int, str, int], torch.Tensor] = OrderedDict()
_feature_cache_lock = threading.Lock()


def clear_feature_cache() -> None:
    with _feature_cache_lock:
        _feature_cache.clear()


def _cache_key(path: Path, weights_path: Path) -> tuple[str, int, int, str, int] | None:
    """File identity (resolved path, mtime, size) plus the weights file's; None when it cannot be read."""
    try:
        image, weights = os.stat(path), os.stat(weights_path)
    except OSError:
        return None
    return (
        os.path.realpath(path),
        image.st_mtime_ns,
        image.st_size,
        os.path.realpath(weights_path),
        weights.st_mtime_ns,
    )


def _prefetched(paths: Sequence[Path], window: int = 8) -> Iterator[torch.Tensor | ImageReadError]:
    """Images decoded in a background thread (PIL releases the GIL), a few ahead, in order."""

    def read(path: Path) -> torch.Tensor | ImageReadError:
        try:
            return load_image(path)
        except ImageReadError as error:
            return error

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fid-decode") as pool:
        pending: deque[Future] = deque()
        upcoming = iter(paths)
        for path in itertools.islice(upcoming, window):
            pending.append(pool.submit(read, path))
        while pending:
            result = pending.popleft().result()
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.submit(read, following))
            yield result


def extract_features(
    paths: Sequence[Path],
    weights_path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    skip_unreadable: bool = False,
) -> FeatureSet:
    """2048-d Inception features of ``paths`` in the given order.

    Consecutive images of one size share a batch (each image is resized by the extractor itself, so
    batching does not change a feature); features of unchanged files are reused from memory.
    Unreadable images raise :class:`ImageReadError`, or are skipped and listed when ``skip_unreadable``.
    """
    import torch

    from core.evaluation.inception import load_inception

    extractor = load_inception(weights_path)
    kept: list[Path] = []
    rows: list[torch.Tensor | None] = []
    skipped: list[tuple[Path, str]] = []
    batch: list[tuple[int, torch.Tensor, tuple | None]] = []

    def flush() -> None:
        if not batch:
            return
        features = extractor(torch.stack([image for _, image, _ in batch]))[0]
        with _feature_cache_lock:
            for (row, _, key), feature in zip(batch, features, strict=True):
                rows[row] = feature
                if key is not None:
                    _feature_cache[key] = feature
                    while len(_feature_cache) > FEATURE_CACHE_SIZE:
                        _feature_cache.popitem(last=False)
        batch.clear()

    keys = [_cache_key(path, weights_path) for path in paths]
    with _feature_cache_lock:
        cached = [_feature_cache.get(key) if key is not None else None for key in keys]
        for key, hit in zip(keys, cached, strict=True):
            if hit is not None:
                _feature_cache.move_to_end(key)
    decoded = _prefetched([path for path, hit in zip(paths, cached, strict=True) if hit is None])
    with torch.inference_mode():
        for path, key, hit in zip(paths, keys, cached, strict=True):
            if hit is not None:
                kept.append(Path(path))
                rows.append(hit)
                continue
            image = next(decoded)
            if isinstance(image, ImageReadError):
                if not skip_unreadable:
                    raise image
                skipped.append((Path(path), str(image)))
                continue
            if batch and (batch[0][1].shape != image.shape or len(batch) >= batch_size):
                flush()
            batch.append((len(rows), image, key))
            kept.append(Path(path))
            rows.append(None)
        flush()
    features = torch.stack(rows) if rows else torch.empty((0, 2048), dtype=torch.float32)
    return FeatureSet(tuple(kept), features, tuple(skipped))


class FidKidResult(BaseModel):
    """FID and KID between a generated set (input 1) and a reference set (input 2)."""

    model_config = ConfigDict(frozen=True)

    fid: float = Field(description="Frechet Inception Distance (2048-d pool features).")
    kid: float = Field(description="Kernel Inception Distance, mean over subsets.")
    kid_std: float = Field(description="Standard deviation of KID over subsets.")
    n_generated: int
    n_reference: int
    kid_subsets: int
    kid_subset_size: int


def frechet_distance(generated: torch.Tensor, reference: torch.Tensor) -> float:
    """FID between two (n, d) feature matrices (see the module docstring for the low-rank route)."""
    if min(len(generated), len(reference)) >= generated.shape[1]:
        from core.torchvision_guard import ensure_torchvision_importable

        ensure_torchvision_importable()
        from torch_fidelity.metric_fid import (
            KEY_METRIC_FID,
            fid_features_to_statistics,
            fid_statistics_to_metric,
        )

        return fid_statistics_to_metric(
            fid_features_to_statistics(generated), fid_features_to_statistics(reference), verbose=False
        )[KEY_METRIC_FID]
    # float64 as np.cov uses in torch-fidelity's statistics
    first = generated.numpy().astype(np.float64)
    second = reference.numpy().astype(np.float64)
    mean_first, mean_second = first.mean(axis=0), second.mean(axis=0)
    centred_first = (first - mean_first) / np.sqrt(len(first) - 1)
    centred_second = (second - mean_second) / np.sqrt(len(second) - 1)
    trace_sqrt = np.linalg.svd(centred_first @ centred_second.T, compute_uv=False).sum()
    difference = mean_first - mean_second
    return float(
        difference @ difference
        + np.square(centred_first).sum()
        + np.square(centred_second).sum()
        - 2 * trace_sqrt
    )


def fid_kid_from_features(
    generated: torch.Tensor,
    reference: torch.Tensor,
    *,
    kid_subsets: int = KID_SUBSETS,
    kid_subset_size: int | None = None,
    rng_seed: int = RNG_SEED,
) -> FidKidResult:
    """FID (:func:`frechet_distance`) and torch-fidelity's KID on two feature matrices."""
    n_generated, n_reference = len(generated), len(reference)
    if min(n_generated, n_reference) < ABSOLUTE_MIN_IMAGES:
        raise ValueError(
            f"FID/KID need at least {ABSOLUTE_MIN_IMAGES} images per set, got {n_generated} generated "
            f"and {n_reference} reference"
        )
    from core.torchvision_guard import ensure_torchvision_importable

    ensure_torchvision_importable()
    from torch_fidelity.metric_kid import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD, kid_features_to_metric

    subset_size = kid_subset_size or min(KID_SUBSET_SIZE_MAX, n_generated, n_reference)
    if not ABSOLUTE_MIN_IMAGES <= subset_size <= min(n_generated, n_reference):
        raise ValueError(f"kid_subset_size {subset_size} must lie in [2, {min(n_generated, n_reference)}]")
    fid = frechet_distance(generated, reference)
    kid = kid_features_to_metric(
        generated,
        reference,
        kid_subsets=kid_subsets,
        kid_subset_size=subset_size,
        rng_seed=rng_seed,
        verbose=False,
    )
    return FidKidResult(
        fid=fid,
        kid=kid[KEY_METRIC_KID_MEAN],
        kid_std=kid[KEY_METRIC_KID_STD],
        n_generated=n_generated,
        n_reference=n_reference,
        kid_subsets=kid_subsets,
        kid_subset_size=subset_size,
    )


def compute_fid_kid(
    generated: Sequence[Path],
    reference: Sequence[Path],
    *,
    weights_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    kid_subsets: int = KID_SUBSETS,
    kid_subset_size: int | None = None,
    rng_seed: int = RNG_SEED,
) -> FidKidResult:
    """FID and KID of two image lists (e.g. two folders' files), equal to torch-fidelity's on them."""
    from core.evaluation.inception import ensure_inception_weights

    weights = ensure_inception_weights(weights_path)
    generated_set = extract_features(fidelity_order(generated), weights, batch_size=batch_size)
    reference_set = extract_features(fidelity_order(reference), weights, batch_size=batch_size)
    return fid_kid_from_features(
        generated_set.features,
        reference_set.features,
        kid_subsets=kid_subsets,
        kid_subset_size=kid_subset_size,
        rng_seed=rng_seed,
    )


def folder_images(folder: Path, extensions: tuple[str, ...] = ("png", "jpg", "jpeg")) -> list[Path]:
    """A folder's image files, non-recursive, as torch-fidelity finds them by default."""
    return [
        path
        for path in Path(folder).iterdir()
        if path.is_file() and path.suffix.lower().lstrip(".") in extensions
    ]
@register_evaluator
class FidKidEvaluator(SetEvaluator):
    """FID and KID (with KID's spread) of a run's figures against the reference figures.

    Spec params: ``weights_path`` (Inception weights; default: converted and cached under the
    workspace, see :mod:`core.evaluation.inception`), ``min_images`` (per set, default 10),
    ``batch_size``, ``kid_subsets``, ``kid_subset_size``, ``rng_seed``. ``ctx.extras["workspace"]``
    (a :class:`Workspace`) chooses where weights are cached.

    Figures that failed to render, or whose file is missing or unreadable, are excluded and counted
    in the notes. The reference set is every reference given whose file can be read (it does not
    shrink when a generator fails).
    """

    name = "fid"
    label = "FID and KID of the run's figures against the reference figures (Inception features)"
    produces = ("fid", "kid", "kid_std")
    needs_references = True

    def __init__(self, spec: EvaluatorSpec) -> None:
        super().__init__(spec)
        for key, lowest in (("min_images", ABSOLUTE_MIN_IMAGES), ("batch_size", 1), ("kid_subsets", 1)):
            value = spec.param(key)
            if value is not None and (not isinstance(value, int) or value < lowest):
                raise ValueError(f"{spec.name}: param {key} must be an integer >= {lowest}, not {value!r}")
        subset = spec.param("kid_subset_size")
        if subset is not None and (not isinstance(subset, int) or subset < ABSOLUTE_MIN_IMAGES):
            raise ValueError(f"{spec.name}: param kid_subset_size must be an integer >= 2, not {subset!r}")

    def _weights(self, ctx: EvaluationContext) -> tuple[Path | None, str | None]:
        """Loadable Inception weights, or None and why not."""
        from core.evaluation.inception import (
            InceptionWeightsUnavailable,
            ensure_inception_weights,
            load_inception,
        )

        configured = self.spec.param("weights_path")
        workspace = ctx.extras.get("workspace")
        try:
            if configured:
                weights = ensure_inception_weights(Path(configured))
            else:
                weights = ensure_inception_weights(
                    workspace=workspace if isinstance(workspace, Workspace) else None
                )
        except InceptionWeightsUnavailable as error:
            return None, f"no Inception weights ({error})"
        try:
            load_inception(weights)
        except (RuntimeError, OSError, ValueError, KeyError, pickle.UnpicklingError) as error:
            return None, f"cannot load Inception weights {weights} ({type(error).__name__}: {error})"
        return weights, None

    def evaluate_set(
        self, figures: Sequence[FigureUnderTest], references: Mapping[str, Path], ctx: EvaluationContext
    ) -> EvaluationOutput:
        notes: list[str] = []
        unavailable = {metric: None for metric in self.produces}
        min_images = int(self.spec.param("min_images", DEFAULT_MIN_IMAGES))

        failed: list[FigureUnderTest] = []
        missing: list[FigureUnderTest] = []
        generated: list[Path] = []
        for figure in figures:
            if figure.status != "ok":
                failed.append(figure)
            elif figure.image_path is None or not figure.image_path.is_file():
                missing.append(figure)
            else:
                generated.append(figure.image_path)
        if failed:
            notes.append(f"{len(failed)} figure(s) failed to render and are excluded from FID/KID")
        if missing:
            notes.append(
                f"{len(missing)} figure(s) have no image file and are excluded: "
                + ", ".join(f.problem_uid for f in missing[:10])
            )
        missing_references = sorted(uid for uid, path in references.items() if not Path(path).is_file())
        if missing_references:
            notes.append(
                f"{len(missing_references)} reference file(s) missing and excluded: {', '.join(missing_references[:10])}"
            )
        reference = [Path(path) for path in references.values() if Path(path).is_file()]

        def too_few(n_generated: int, n_reference: int) -> bool:
            if min(n_generated, n_reference) >= min_images:
                return False
            notes.append(
                f"fid/kid unavailable: {n_generated} usable generated and {n_reference} reference "
                f"figure(s); at least {min_images} of each are needed"
            )
            return True

        if too_few(len(generated), len(reference)):
            return EvaluationOutput(set_values=unavailable, notes=notes)
        weights, problem = self._weights(ctx)
        if weights is None:
            notes.append(f"fid/kid unavailable: {problem}")
            return EvaluationOutput(set_values=unavailable, notes=notes)

        batch_size = int(self.spec.param("batch_size", DEFAULT_BATCH_SIZE))
        sets = [
            extract_features(fidelity_order(paths), weights, batch_size=batch_size, skip_unreadable=True)
            for paths in (generated, reference)
        ]
        for label, feature_set in zip(("generated figure", "reference"), sets, strict=True):
            for _, reason in feature_set.skipped:
                notes.append(f"unreadable {label} excluded: {reason}")
        n_generated, n_reference = (len(feature_set.paths) for feature_set in sets)
        if too_few(n_generated, n_reference):
            return EvaluationOutput(set_values=unavailable, notes=notes)

        result = fid_kid_from_features(
            sets[0].features,
            sets[1].features,
            kid_subsets=int(self.spec.param("kid_subsets", KID_SUBSETS)),
            kid_subset_size=self.spec.param("kid_subset_size"),
            rng_seed=int(self.spec.param("rng_seed", RNG_SEED)),
        )
        notes.append(
            f"fid/kid over {n_generated} generated vs {n_reference} reference figures; KID {result.kid_subsets} "
            f"subsets of {result.kid_subset_size}; Inception weights {weights}"
        )
        if min(n_generated, n_reference) < FULL_RANK_IMAGES:
            notes.append(
                f"fewer than {FULL_RANK_IMAGES} images per set: the feature covariance is rank-deficient, so FID "
                f"is biased upward and comparable only between runs with equal set sizes"
            )
        notes.append(f"kid std over subsets: {result.kid_std:.6g}")
        return EvaluationOutput(
            set_values={"fid": result.fid, "kid": result.kid, "kid_std": result.kid_std}, notes=notes
        )


@register_evaluator
class KidEvaluator(FidKidEvaluator):
    """The same computation under the name ``kid`` (FID and KID come from one feature pass), so
    its runs are stored as ``fid`` runs."""

    name = "kid"
    label = "KID (stored with FID: one feature pass gives both)"

    @classmethod
    def complete_spec(cls, spec: EvaluatorSpec, *, config: Any = None, home: Any = None) -> EvaluatorSpec:
        return FidKidEvaluator.complete_spec(EvaluatorSpec(FidKidEvaluator.name, spec.params), config=config, home=home)
