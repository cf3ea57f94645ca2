"""The torchvision guard, checked in fresh interpreters (an import can only be tried once per process)."""

from __future__ import annotations

import json
import subprocess
import sys

from core.workspace import PROJECT_ROOT


def run_fresh(code: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_guard_makes_torchvision_and_torch_fidelity_importable_and_is_idempotent() -> None:
    result = run_fresh(
        """
import json, sys
import torch
from core.torchvision_guard import ensure_torchvision_importable
assert "torchvision" not in sys.modules
first = ensure_torchvision_importable()
second = ensure_torchvision_importable()
import torchvision
import torch_fidelity
import torchvision.transforms.functional as F
resized = F.resize(torch.zeros(3, 20, 30), [10, 15], antialias=True)
third = ensure_torchvision_importable()
print(json.dumps({
    "first": first, "second": second, "third": third,
    "schemas": [str(torch.ops.torchvision.nms.default._schema), str(torch.ops.torchvision.qnms.default._schema)],
    "resized": list(resized.shape),
    "fidelity": torch_fidelity.__version__,
}))
"""
    )
    # on this CPU torch the native extension cannot load, so the guard declares both schemas once;
    # where the extension loads, it declares nothing and torchvision's own ops are there
    assert result["first"] in (["nms", "qnms"], [])
    assert result["second"] == [] and result["third"] == []
    assert result["schemas"][0].startswith(
        "torchvision::nms(Tensor dets, Tensor scores, float iou_threshold)"
    )
    assert result["schemas"][1].startswith("torchvision::qnms(")
    assert result["resized"] == [3, 10, 15]
    assert result["fidelity"]


def test_guard_is_a_no_op_once_torchvision_is_imported() -> None:
    result = run_fresh(
        """
import json
from core.torchvision_guard import ensure_torchvision_importable
ensure_torchvision_importable()
import torchvision  # noqa: F401
from core.evaluation import inception  # imports the guard again and calls it lazily
print(json.dumps({"again": ensure_torchvision_importable(), "name": inception.EXTRACTOR_NAME}))
"""
    )
    assert result == {"again": [], "name": "inception-v3-compat"}
