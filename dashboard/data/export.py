"""Data for the Export page: generation runs, a preview of what passes the filters, the export
itself (into the workspace's ``exports/`` folder) and a zip of its output for download."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from core.export import (
    ExportError,
    ExportFilters,
    ExportSummary,
    export_training_set,
    parse_judge_thresholds,
    select_figures,
)
from core.workspace import safe_name
from dashboard.data.access import cache_key, store, workspace

EXPORTS_FOLDER = "exports"


@dataclass(frozen=True)
class ExportPreview:
    """What an export with these filters would take (before dedup and contamination)."""

    counts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["subject", "image_type", "figures"]))
    figures_ok: int = 0
    passed: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    quiz_source: str | None = None
    judge_source: str | None = None
    error: str | None = None
    """Why no preview could be made (bad threshold, missing evaluation and the command to run)."""


@st.cache_data(show_spinner=False)
def _generation_runs(key: tuple[str, str]) -> list[str]:
    """Run names, those with quiz answers first (the only ones an export can select from), so the
    page opens on content rather than on a "run an evaluation first" message."""
    runs = store().list_runs("generation")
    answered = store().quiz_answer_counts()
    named = sorted(zip(runs["name"].astype(str), runs["run_id"].astype(str), strict=True))
    return [name for name, run_id in sorted(named, key=lambda pair: not answered.get(pair[1]))]


def generation_runs() -> list[str]:
    return _generation_runs(cache_key())


def filters_from(min_rinv: float, judge_text: str, exclude_blind: bool) -> ExportFilters:
    return ExportFilters(
        min_rinv=min_rinv, min_judge=parse_judge_thresholds(judge_text), exclude_blind_quizzes=exclude_blind
    )


@st.cache_data(show_spinner=False)
def _preview(key: tuple[str, str], run: str, min_rinv: float, judge_text: str, exclude_blind: bool) -> ExportPreview:
    try:
        selection = select_figures(store(), workspace(), run, filters_from(min_rinv, judge_text, exclude_blind))
    except ExportError as exc:
        return ExportPreview(error=str(exc))
    return ExportPreview(
        counts=selection.counts(), figures_ok=len(selection.candidates), passed=len(selection.selected),
        rejected=selection.rejections(), quiz_source=selection.quiz_source, judge_source=selection.judge_source,
    )


def export_preview(run: str, min_rinv: float, judge_text: str, exclude_blind: bool) -> ExportPreview:
    return _preview(cache_key(), run, float(min_rinv), judge_text.strip(), bool(exclude_blind))


def export_folder(run: str, fmt: str) -> Path:
    return workspace().home / EXPORTS_FOLDER / f"{safe_name(run)}-{fmt}"


def run_export(
    run: str, fmt: str, *, min_rinv: float, judge_text: str, exclude_blind: bool, dedup: bool, eval_split: str,
    progress: Callable[[str, float], None] | None = None,
) -> ExportSummary:
    """Export into ``<workspace>/exports/<run>-<format>`` (replacing an earlier export there)."""
    return export_training_set(
        store(), workspace(), run_name=run, out_dir=export_folder(run, fmt), fmt=fmt,
        filters=filters_from(min_rinv, judge_text, exclude_blind), eval_split=eval_split.strip() or None,
        dedup=dedup, overwrite=True, progress=progress,
    )


def zip_folder(folder: str | Path) -> bytes:
    """The folder's files in one zip (paths relative to the folder), built in memory."""
    root = Path(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def summary_table(summary: ExportSummary) -> pd.DataFrame:
    """The export's counts as a two-column table (step, items)."""
    rows = [("figures rendered", summary.figures_ok), ("passed the filters", summary.passed_filters)]
    rows += [(f"rejected: {reason}", n) for reason, n in summary.rejected.items()]
    rows.append(("near-duplicates removed", len(summary.near_duplicates)))
    if summary.contamination:
        rows.append((f"contaminated ({summary.contamination_action}d)", summary.contamination["contaminated"]))
    rows.append(("exported", summary.exported))
    return pd.DataFrame(rows, columns=["step", "items"])


def table_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")
