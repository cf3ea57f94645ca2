"""Evaluation: evaluators registered by name, their aggregation, and statistics.

An evaluator is one module: a class decorated with :func:`register_evaluator` that says what it
needs (``needs_model``, ``needs_references``), how its spec is completed and its run labelled, what
it produces and how that aggregates (:class:`~core.evaluation.base.Evaluator`). Runners, the CLI
and the dashboard ask :func:`registered_evaluators` and never list names themselves.

Importing this package registers nothing; :func:`registered_evaluators` imports the built-in
evaluator modules on first use (each is light: heavy libraries such as torch and scikit-image load
when a score is computed). Evaluators defined elsewhere (a plugin, a test) register by being
imported, like the built-ins.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from core.evaluation.base import (
    Evaluator,
    EvaluatorSpec,
    FigureEvaluator,
    SetEvaluator,
    register_evaluator,
    registered_evaluator_classes,
)
from core.specs import load_plugins

__all__ = [
    "BUILTIN_EVALUATOR_MODULES",
    "Evaluator",
    "EvaluatorSpec",
    "FigureEvaluator",
    "SetEvaluator",
    "create_evaluator",
    "evaluator_class",
    "evaluator_names",
    "register_evaluator",
    "registered_evaluators",
]

BUILTIN_EVALUATOR_MODULES: tuple[str, ...] = (
    "core.evaluation.vqa",
    "core.evaluation.judge",
    "core.evaluation.ocr",
    "core.evaluation.figure_facts",
    "core.evaluation.reference_metrics",
    "core.evaluation.fid",
    "core.evaluation.arena",
)
"""The modules whose import registers the built-in evaluators."""


PLUGIN_GROUP = "scigen.evaluators"
"""Entry-point group of installed packages that add evaluators."""


def registered_evaluators() -> Mapping[str, type[Evaluator]]:
    """Every registered evaluator by name, sorted: the built-ins (loaded first), installed plugins
    (entry points in :data:`PLUGIN_GROUP`) and any other module that registered one."""
    for module in BUILTIN_EVALUATOR_MODULES:
        importlib.import_module(module)
    load_plugins(PLUGIN_GROUP)
    return dict(sorted(registered_evaluator_classes().items()))


def evaluator_names() -> list[str]:
    return list(registered_evaluators())


def evaluator_class(name: str) -> type[Evaluator]:
    """The class registered as ``name``; KeyError naming the known evaluators."""
    known = registered_evaluators()
    try:
        return known[name]
    except KeyError:
        raise KeyError(f"unknown evaluator {name!r}; known: {', '.join(known)}") from None


def create_evaluator(spec: EvaluatorSpec) -> Evaluator:
    """An evaluator for ``spec``; ValueError for bad parameters."""
    return evaluator_class(spec.name)(spec)
