"""The export stage: kept items of a dataset -> training-set shards in the verl / sharegpt / hf formats.

The same steps as ``scigen export`` (:mod:`core.export.training`), over the dataset's shards
instead of the store: items that passed the filter, given-value masking of the prompt
(:func:`~core.export.masking.build_prompt`), near-duplicate removal on the perceptual hashes the
workers computed (:func:`~core.export.dedup.near_duplicates_of_hashes`), the contamination check
against an evaluation split, then each format's writer on chunks of ``export.chunk_size`` records
(``export/<format>/part-00000/`` ...), and per format a dataset card and ``export_report.json``. It is
derived data: every finished run writes it again from the shards, whole.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.engine.config import PipelineConfig
from core.engine.shards import read_columns
from core.export.card import render_card
from core.export.dedup import ImageHash, near_duplicates_of_hashes
from core.export.masking import build_prompt
from core.export.records import JUDGE_NAMES, ExportRecord, ExportSummary
from core.export.training import WRITERS
from core.files import replacing
from core.problems.models import Problem
from core.workspace import safe_name

__all__ = ["EXPORT_DIR", "export_dataset"]

EXPORT_DIR = "export"
_COLUMNS = ["key", "problem", "image_path", "rinv", "n_quizzes", "passed", "status", "phash", "dhash", *JUDGE_NAMES]


def _kept_rows(dataset_dir: Path, columns: list[str]) -> Iterator[dict[str, Any]]:
    """Items with a figure that passed the filter (or every figure when no filter ran), shard by
    shard; only ``columns`` are read."""
    wanted = list(dict.fromkeys(["status", "passed", "image_path", *columns]))
    for table in read_columns(dataset_dir, wanted):
        for row in table.to_pylist():
            if row["status"] == "ok" and row["passed"] is not False and row["image_path"]:
                yield row


def _record(row: dict[str, Any], dataset_dir: Path, config: PipelineConfig, labels: dict[str, Any]) -> ExportRecord:
    problem = Problem.model_validate_json(row["problem"])
    prompt, prompt_source, masked = build_prompt(problem.question, problem.multimodal_question)
    return ExportRecord(
        uid=problem.uid, problem_id=problem.id, source=problem.source, subject=problem.subject.value,
        image_type=problem.image_type, image_path=str(dataset_dir / row["image_path"]),
        image_name=f"{safe_name(problem.uid)}.png", prompt=prompt, prompt_source=prompt_source,
        masked_values=list(masked), original_question=problem.question, answer=problem.answer,
        run=dataset_dir.name, run_id=dataset_dir.name, generator=labels["generator"],
        generator_spec=labels["generator_spec"], model=labels["model"], quiz_evaluation=labels["quiz_evaluation"],
        judge_evaluation=labels["judge_evaluation"], rinv=row["rinv"], n_quizzes=row["n_quizzes"] or 0,
        judge={name: row[name] for name in JUDGE_NAMES if row[name] is not None},
    )


def _labels(config: PipelineConfig) -> dict[str, Any]:
    generate = config.generate
    answerers = [stage.evaluator for stage in config.verify if stage.evaluator not in ("judge", "figure-facts")]
    judges = [stage.evaluator for stage in config.verify if stage.evaluator == "judge"]
    return {
        "generator": generate.generator if generate else None,
        "generator_spec": json.dumps(
            {"name": generate.generator, "params": generate.params} if generate else {}, sort_keys=True,
            ensure_ascii=False,
        ),
        "model": str(generate.params["model"]) if generate and generate.params.get("model") else None,
        "quiz_evaluation": answerers[0] if answerers else None,
        "judge_evaluation": judges[0] if judges else None,
    }


def export_dataset(dataset_dir: str | Path, config: PipelineConfig) -> dict[str, Any]:
    """Write ``export/`` from the dataset's shards; returns the summary (also in the manifest).

    Two passes, so memory holds keys and hashes, never every record: the first reads keys and
    perceptual hashes and finds near-duplicates (in key order, the first of a group kept, as
    ``scigen export`` does); the second builds records shard by shard and writes them in chunks."""
    from core.export.contamination import check_contamination, load_eval_split

    stage = config.export
    assert stage is not None, "export_dataset needs an [export] table"
    dataset_dir = Path(dataset_dir)
    out = dataset_dir / EXPORT_DIR
    shutil.rmtree(out, ignore_errors=True)
    labels = _labels(config)
    hashes = sorted((row["key"], row["phash"], row["dhash"]) for row in _kept_rows(dataset_dir, ["key", "phash", "dhash"]))
    kept_total = len(hashes)
    duplicates: dict[str, str] = {}
    if stage.dedup:
        duplicates = near_duplicates_of_hashes(
            (key, ImageHash(int(phash, 16), int(dhash, 16))) for key, phash, dhash in hashes if phash and dhash
        )
    del hashes
    split = load_eval_split(str(Path(config.base_dir) / stage.eval_split)) if stage.eval_split else None
    writers = {fmt: _ChunkWriter(out / fmt, fmt, stage.chunk_size) for fmt in stage.formats}
    contaminated: dict[str, str] = {}
    contamination_summary: dict[str, Any] | None = None
    exported: list[ExportRecord] = []  # the first chunk's records, for the card's provenance lines
    counts = {"prompt": Counter(), "subject": Counter(), "image_type": Counter()}
    total = 0
    for batch in _record_batches(dataset_dir, config, labels, duplicates, stage.chunk_size):
        if split is not None:
            report = check_contamination(((r.uid, (r.original_question, r.prompt)) for r in batch), split)
            summary_part = report.summary()
            contamination_summary = _merge_contamination(contamination_summary, summary_part)
            contaminated |= {uid: f"exact: {item}" for uid, item in report.exact.items()}
            contaminated |= {uid: f"{score:.2f} of 8-grams: {item}" for uid, (item, score) in report.ngram.items()}
            hits = report.contaminated
            if stage.contamination == "exclude":
                batch = [r for r in batch if r.uid not in hits]
            else:
                batch = [r.model_copy(update={"contaminated": r.uid in hits}) for r in batch]
        for writer in writers.values():
            writer.add(batch)
        if not exported:
            exported = batch
        total += len(batch)
        counts["prompt"].update(r.prompt_source for r in batch)
        counts["subject"].update(r.subject for r in batch)
        counts["image_type"].update(r.image_type or "(untyped)" for r in batch)
    for fmt, writer in writers.items():
        files = writer.close()
        summary = ExportSummary(
            run=dataset_dir.name, format=fmt, out_dir=str(out / fmt),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            filters={
                "min_rinv": config.filter.min_rinv if config.filter else None,
                "min_judge": dict(config.filter.min_judge) if config.filter else {},
                "exclude_blind_quizzes": bool(config.quizzes and config.quizzes.audit),
            },
            quiz_evaluation=labels["quiz_evaluation"], judge_evaluation=labels["judge_evaluation"],
            figures_ok=kept_total, figures_failed=0, passed_filters=kept_total, rejected={},
            blind_quizzes_excluded=0, dedup=stage.dedup, near_duplicates=duplicates,
            contamination=contamination_summary, contaminated=contaminated,
            contamination_action=stage.contamination, exported=total,
            prompt_sources=dict(counts["prompt"]), per_subject=dict(sorted(counts["subject"].items())),
            per_image_type=dict(sorted(counts["image_type"].items())),
            files=sorted([*files, "README.md", "export_report.json"]),
        )
        with replacing(out / fmt / "README.md") as scratch:
            scratch.write_text(render_card(summary, exported), encoding="utf-8")
        with replacing(out / fmt / "export_report.json") as scratch:
            scratch.write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    return {
        "exported": total, "near_duplicates": len(duplicates), "contaminated": len(contaminated),
        "formats": list(stage.formats),
    }


def _record_batches(
    dataset_dir: Path, config: PipelineConfig, labels: dict[str, Any], duplicates: dict[str, str], size: int
) -> Iterator[list[ExportRecord]]:
    batch: list[ExportRecord] = []
    for row in _kept_rows(dataset_dir, _COLUMNS):
        if row["key"] in duplicates:
            continue
        batch.append(_record(row, dataset_dir, config, labels))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _merge_contamination(total: dict[str, Any] | None, part: dict[str, Any]) -> dict[str, Any]:
    if total is None:
        return dict(part)
    merged = dict(total)
    for key in ("exact", "ngram", "contaminated"):
        merged[key] = total[key] + part[key]
    return merged


class _ChunkWriter:
    """One format's writer applied to chunks of ``size`` records: ``part-00000/``, ``part-00001/`` ..."""

    def __init__(self, folder: Path, fmt: str, size: int) -> None:
        self.folder, self.fmt, self.size = folder, fmt, size
        self.pending: list[ExportRecord] = []
        self.files: list[str] = []
        self.parts = 0

    def add(self, records: list[ExportRecord]) -> None:
        self.pending.extend(records)
        while len(self.pending) >= self.size:
            self._write(self.pending[: self.size])
            self.pending = self.pending[self.size :]

    def close(self) -> list[str]:
        if self.pending or not self.parts:
            self._write(self.pending)
        return self.files

    def _write(self, records: list[ExportRecord]) -> None:
        part = self.folder / f"part-{self.parts:05d}"
        part.mkdir(parents=True, exist_ok=True)
        self.files += [str(path.relative_to(self.folder)) for path in WRITERS[self.fmt](records, part, None)]
        self.parts += 1
