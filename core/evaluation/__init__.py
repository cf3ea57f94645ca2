"""Evaluation: evaluators registered by name, metric declarations and statistics.

Importing this package registers the built-in evaluators that are cheap to import: ``vqa`` and
``mmq`` (:mod:`core.evaluation.vqa`), ``judge``, ``ocr`` (RapidOCR loads on first use) and
``figure-facts``. The reference metrics are known by name too but load on first use, because their
modules import heavy libraries at module level and this package is imported by everything that
reads metric declarations (the store, the dashboard): ``psnr``, ``ssim``, ``clip``
(:mod:`core.evaluation.reference_metrics`, scikit-image, ~1.4 s) and ``fid``, ``kid``
(:mod:`core.evaluation.fid`, torch, ~2 s). Use :func:`load_evaluator_class` /
:func:`create_evaluator` here rather than the bare registry in :mod:`core.evaluation.base` to get
those loaded when asked for.
"""

from __future__ import annotations

import importlib

from core.evaluation import base as _base
from core.evaluation import figure_facts as _figure_facts  # noqa: F401 - registers figure-facts
from core.evaluation import judge as _judge  # noqa: F401 - registers judge
from core.evaluation import ocr as _ocr  # noqa: F401 - registers ocr
from core.evaluation import vqa as _vqa  # noqa: F401 - registers vqa, mmq

__all__ = [
    "EVALUATOR_MODULES",
    "LAZY_EVALUATORS",
    "create_evaluator",
    "evaluator_names",
    "load_evaluator_class",
    "load_evaluators",
]

EVALUATOR_MODULES: tuple[str, ...] = (
    "core.evaluation.vqa",
    "core.evaluation.judge",
    "core.evaluation.ocr",
    "core.evaluation.figure_facts",
    "core.evaluation.reference_metrics",
    "core.evaluation.fid",
)
"""Every module that registers built-in evaluators."""

LAZY_EVALUATORS: dict[str, str] = {
    "psnr": "core.evaluation.reference_metrics",
    "ssim": "core.evaluation.reference_metrics",
    "clip": "core.evaluation.reference_metrics",
    "fid": "core.evaluation.fid",
    "kid": "core.evaluation.fid",
}
"""Evaluator name -> the module that registers it on import (loaded on first use)."""


def evaluator_names() -> list[str]:
    """Every built-in evaluator name (loaded or not) plus any registered by other code, sorted."""
    return sorted(set(_base.registered_evaluators()) | set(LAZY_EVALUATORS))


def load_evaluator_class(name: str) -> type[_base.Evaluator]:
    """The evaluator class registered as ``name``, importing its module first when it is a lazy
    one. Raises KeyError naming the known evaluators."""
    if name not in _base.registered_evaluators() and name in LAZY_EVALUATORS:
        importlib.import_module(LAZY_EVALUATORS[name])
    if name not in _base.registered_evaluators():
        raise KeyError(f"unknown evaluator {name!r}; known: {', '.join(evaluator_names())}")
    return _base.evaluator_class(name)


def create_evaluator(spec: _base.EvaluatorSpec) -> _base.Evaluator:
    """An evaluator for ``spec`` (its module loaded when needed); ValueError for bad parameters."""
    return load_evaluator_class(spec.name)(spec)


def load_evaluators() -> None:
    """Import every built-in evaluator module (slow: torch and scikit-image); for listings/tests."""
    for module in EVALUATOR_MODULES:
        importlib.import_module(module)
