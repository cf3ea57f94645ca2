"""Downstream use of a workspace: verified training sets (``scigen export``), and (other modules)
the downstream scaling fits and the static report.

Training-set export::

    from core.export import ExportFilters, export_training_set
    summary = export_training_set(store, workspace, run_name="gold", out_dir="out", fmt="verl",
                                  filters=ExportFilters(min_rinv=1.0, min_judge={"C&F": 2}))

Modules: ``training`` (selection, writers), ``records`` (export records and summary), ``masking`` (prompts), ``dedup`` (perceptual
hashes), ``contamination`` (evaluation-split overlap), ``card`` (README.md). Names below are
imported lazily, so ``import core.export.scaling`` does not pay for the export's dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "ContaminationReport": "contamination", "EvalSplit": "contamination", "EvalSplitError": "contamination",
    "check_contamination": "contamination", "load_eval_split": "contamination",
    "NEAR_DUPLICATE_BITS": "dedup", "find_near_duplicates": "dedup", "image_hash": "dedup",
    "MASK": "masking", "build_prompt": "masking", "mask_given_values": "masking",
    "FORMATS": "training", "JUDGE_SHORT_NAMES": "training", "ExportError": "training",
    "ExportFilters": "training", "ExportRecord": "records", "ExportSummary": "records",
    "FigureCandidate": "training", "MissingEvaluationError": "training", "Selection": "training",
    "build_records": "training", "export_training_set": "training", "parse_judge_thresholds": "training",
    "select_figures": "training",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'core.export' has no attribute {name!r}")
    return getattr(importlib.import_module(f"core.export.{module}"), name)
