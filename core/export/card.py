"""The dataset card (``README.md``) written into every export folder.

YAML front matter for the Hugging Face Hub (licence ``other``: see the licence notes), then what the
set is, the filters, counts (per subject and image type), what was removed and why, licence notes
and provenance. Pure function of the export summary and its records.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.export.dedup import NEAR_DUPLICATE_BITS
from core.export.masking import MASK
from core.export.records import ExportRecord, ExportSummary

FORMAT_NOTES = {
    "verl": "`train.parquet` for verl RL training: `data_source`, `prompt` (chat messages, the image as "
    "`<image>`), `images` (PNG bytes), `ability` (subject), `reward_model` (`style: rule`, `ground_truth`), "
    "`extra_info` (provenance).",
    "sharegpt": "`train.json` in LLaMA-Factory ShareGPT form (`messages` with `<image>`, `images` relative "
    "to this folder) and `dataset_info.json` (dataset `scigen_train`); images in `images/`.",
    "hf": "An image folder: `metadata.jsonl` (`file_name` + fields) beside `images/`; load with "
    "`datasets.load_dataset(\"imagefolder\", data_dir=<this folder>)`.",
}


def _table(counts: dict[str, int], header: str) -> list[str]:
    if not counts:
        return ["(none)"]
    return [f"| {header} | items |", "|---|---:|", *(f"| {key} | {value} |" for key, value in counts.items())]


def render_card(summary: ExportSummary, records: Sequence[ExportRecord]) -> str:
    filters = summary.filters
    judge = ", ".join(f"{k} >= {v:g}" for k, v in filters["min_judge"].items()) or "none"
    rinv = filters["min_rinv"]
    contamination = summary.contamination
    generators = sorted({f"{r.generator} ({r.model})" if r.model else str(r.generator) for r in records})
    lines = [
        "---",
        "license: other",
        "task_categories:",
        "- visual-question-answering",
        "tags:",
        "- scientific-figures",
        "- synthetic",
        "- scigen-studio",
        f"pretty_name: SciGen Studio export of run {summary.run}",
        "---",
        "",
        f"# Verified scientific figures: run `{summary.run}`",
        "",
        f"{summary.exported} image-question-answer items exported by SciGen Studio on {summary.created_at} "
        f"in the `{summary.format}` format. {FORMAT_NOTES[summary.format]}",
        "",
        "Each prompt asks the problem with its given values to be read from the figure: the item's "
        "multimodal question when it has one, otherwise the question with every number-with-unit replaced "
        f"by \"{MASK}\" (rule in `core/export/masking.py`).",
        "",
        "## Filters",
        "",
        f"- Figures of generation run `{summary.run}` that rendered (status ok).",
        f"- Per-image R_inv >= {rinv:g} (share of the image's quizzes answered correctly from the image alone; "
        f"quiz evaluation: `{summary.quiz_evaluation}`)." if rinv else "- No R_inv filter.",
        f"- Blind-solvable quizzes excluded from R_inv: {'yes' if filters['exclude_blind_quizzes'] else 'no'}"
        + (f" ({summary.blind_quizzes_excluded} quizzes)." if filters["exclude_blind_quizzes"] else "."),
        f"- Judge thresholds: {judge}" + (f" (judge evaluation: `{summary.judge_evaluation}`)." if filters[
            "min_judge"] else "."),
        f"- Near-duplicate images removed: {'yes' if summary.dedup else 'no'} (pHash and dHash both within "
        f"{NEAR_DUPLICATE_BITS} of 64 bits; the first of a group is kept).",
        "",
        "## Counts",
        "",
        f"- Figures rendered: {summary.figures_ok} (failed to render: {summary.figures_failed})",
        f"- Passed the filters: {summary.passed_filters}",
        *(f"  - rejected, {reason}: {n}" for reason, n in summary.rejected.items()),
        f"- Near-duplicates removed: {len(summary.near_duplicates)}",
    ]
    if contamination:
        lines.append(
            f"- Contamination against {contamination['split']} ({contamination['split_items']} items): "
            f"{contamination['exact']} exact question matches, {contamination['ngram']} by 8-gram overlap "
            f"(containment >= {contamination['containment_threshold']}); "
            f"{'excluded' if summary.contamination_action == 'exclude' else 'kept, flagged `contaminated`'}."
        )
    else:
        lines.append("- Contamination check: not run (no evaluation split given).")
    lines += [
        f"- Exported: {summary.exported}",
        "- Prompts: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.prompt_sources.items())),
        "",
        "### Per subject",
        "",
        *_table(summary.per_subject, "subject"),
        "",
        "### Per image type",
        "",
        *_table(summary.per_image_type, "image type"),
        "",
        "## Licence notes",
        "",
        "- Problems, answers and quizzes from SciGenBench are released under the Apache License 2.0; keep "
        "its notice when redistributing. Problems from other sources (SeePhys, your own) carry their own terms.",
        "- The images were generated by the model(s) named below; the terms of use of those models' outputs "
        "apply, and complying with them is the user's responsibility.",
        "- This card and the export format: SciGen Studio.",
        "",
        "## Provenance",
        "",
        f"- Generation run: `{summary.run}`; generator: {', '.join(generators) or '-'}",
        f"- Quiz evaluation: `{summary.quiz_evaluation}`; judge evaluation: `{summary.judge_evaluation}`",
        "- Every item carries its problem uid, source, run, generator spec, R_inv and judge scores "
        "(`extra_info` in verl, top-level fields in the other formats).",
        "- `export_report.json` lists removed near-duplicates and contaminated items.",
        "",
    ]
    return "\n".join(lines)
