"""Make ``import torchvision`` (and so ``import torch_fidelity``) work beside a CPU-only torch.

The PyPI torchvision wheel ships a native extension linked against CUDA libraries that the CPU
torch build lacks, so the extension fails to load and torchvision's import then dies on
``@torch.library.register_fake("torchvision::nms")`` with "operator torchvision::nms does not exist".
Declaring the two operator schemas it needs (``nms`` and ``qnms``) lets the import go through;
every pure-PyTorch part of torchvision (transforms, models, datasets) then works, and only the
native box ops stay unavailable (the project never uses them).

Call :func:`ensure_torchvision_importable` before the first import of torchvision or
torch_fidelity. It is idempotent and does nothing where the native extension loads.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

_NAMESPACE = "torchvision"
_SCHEMAS: dict[str, str] = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}
# Kept alive for the life of the process: dropping the Library object would remove the schemas.
_fragment: torch.library.Library | None = None


def _has_op(name: str) -> bool:
    try:
        getattr(getattr(torch.ops, _NAMESPACE), name)
    except (AttributeError, RuntimeError):
        return False
    return True


def _missing_ops() -> list[str]:
    return [name for name in _SCHEMAS if not _has_op(name)]


def _try_load_native_extension() -> None:
    """Load torchvision's own extension if it can load (then it defines the real ops).

    Done before declaring anything, so that on a matching torch/torchvision pair our schemas
    never clash with the extension's registrations.
    """
    spec = importlib.util.find_spec(_NAMESPACE)  # locates the package without importing it
    if spec is None or spec.origin is None:
        return
    for library in sorted(Path(spec.origin).parent.glob("_C.*")):
        if library.suffix in {".so", ".pyd", ".dylib"}:
            try:
                torch.ops.load_library(str(library))
            except (OSError, RuntimeError):
                pass  # the CUDA-linked wheel on a CPU torch: fall through to declaring schemas
            return


def ensure_torchvision_importable() -> tuple[str, ...]:
    """Declare the torchvision operator schemas that are missing; returns the names declared now.

    An empty tuple means nothing was needed (already declared, or the native extension loaded).
    """
    global _fragment
    if not _missing_ops():
        return ()
    _try_load_native_extension()
    missing = _missing_ops()
    if not missing:
        return ()
    if _fragment is None:
        _fragment = torch.library.Library(_NAMESPACE, "FRAGMENT")
    for name in missing:
        _fragment.define(_SCHEMAS[name])
    return tuple(missing)
