"""Verified training sets from a generation run: selection, records, writers.

Selection (:func:`select_figures`): the run's figures with status ok whose image file exists, then

* **R_inv filter** (``min_rinv``, default 1.0): per image, the share of its quizzes answered
  correctly by the run's quiz evaluation (``Store.run_items``: the most recent evaluation run of the
  run holding quiz answers). An answer counts as correct only when it is correct, not an abstention
  and not an evaluator error (as in ``core.evaluation.stats``); unanswered quizzes are wrong. With
  ``exclude_blind_quizzes`` quizzes flagged blind-solvable by a current audit
  (``Store.flagged_quiz_keys``) leave numerator and denominator. An image with no
  quiz left, or with no answer row at all (not evaluated), fails any ``min_rinv > 0``.
  ``min_rinv`` None or 0 turns the filter off (no evaluation needed).
* **judge filter** (``min_judge``: dimension -> minimum, e.g. ``{"judge_cf": 2}``): per image and
  dimension the mean score over the run's judges (most recent evaluation run with judge scores);
  a missing score fails.

Records (:func:`build_records`): image, prompt (:mod:`core.export.masking`), answer and provenance
(problem uid/id/source, run, generator spec, evaluation runs, scores). Then near-duplicate images
are removed (:mod:`core.export.dedup`) and, with an evaluation split, contaminated items are
excluded or flagged (:mod:`core.export.contamination`).

Writers (one per format, all with ``<image>`` placeholders and images kept as PNG):

* ``verl``: ``train.parquet`` with data_source, prompt (chat messages), images (list of
  ``{bytes, path}``), ability (subject), reward_model ``{style: "rule", ground_truth}``,
  extra_info (provenance).
* ``sharegpt``: ``train.json`` in LLaMA-Factory's ShareGPT form (``messages`` user/assistant,
  ``images`` paths relative to DIR) plus ``dataset_info.json``; images in ``DIR/images/``.
* ``hf``: ``metadata.jsonl`` (``file_name`` + flat fields) beside ``images/``: a
  ``datasets`` ImageFolder (``load_dataset("imagefolder", data_dir=DIR)``).

Every export also writes ``README.md`` (dataset card) and ``export_report.json`` (counts, removed
duplicates, contaminated items).
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from core.export.masking import IMAGE_PLACEHOLDER, build_prompt
from core.export.records import JUDGE_NAMES, ExportRecord, ExportSummary
from core.workspace import Workspace, safe_name

if TYPE_CHECKING:
    from core.export.contamination import ContaminationReport
    from core.problems.models import Problem
    from core.store import Run, Store

FORMATS: tuple[str, ...] = ("verl", "sharegpt", "hf")
ExportFormat = Literal["verl", "sharegpt", "hf"]
ContaminationAction = Literal["exclude", "flag"]
DATA_SOURCE = "scigen_studio"
JUDGE_SHORT_NAMES: dict[str, str] = {"C&F": "judge_cf", "L&P": "judge_lp", "R&O": "judge_ro", "SP": "judge_sp",
                                     "E&R": "judge_er"}
ProgressCallback = Callable[[str, float], None]
"""Called with (what is being done, fraction done 0..1)."""


class ExportError(ValueError):
    """An export that cannot be made (unknown run, bad threshold, output folder in the way)."""


class MissingEvaluationError(ExportError):
    """The filters need scores the run does not have; ``command`` says what to run."""

    def __init__(self, message: str, command: str) -> None:
        super().__init__(f"{message}; run `{command}` first")
        self.command = command


# ---- filters -----------------------------------------------------------------------------------


def judge_dimension(name: str) -> str:
    """``C&F``/``cf``/``judge_cf`` (any case) -> ``judge_cf``; ExportError for anything else."""
    key = name.strip()
    by_short = {short.upper(): full for short, full in JUDGE_SHORT_NAMES.items()}
    for candidate in (key.upper(), key.upper().replace("&", "")):
        if candidate in by_short:
            return by_short[candidate]
    squashed = key.lower().replace("&", "")
    for full in JUDGE_NAMES:
        if squashed in (full, full.removeprefix("judge_")):
            return full
    raise ExportError(f"unknown judge dimension {name!r}; use {', '.join(JUDGE_SHORT_NAMES)}")


def parse_judge_thresholds(text: str | None) -> dict[str, float]:
    """``"C&F=2,SP=2"`` -> ``{"judge_cf": 2.0, "judge_sp": 2.0}`` (scores are 0..2)."""
    thresholds: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise ExportError(f"judge threshold {part.strip()!r} is not NAME=VALUE (e.g. C&F=2)")
        try:
            number = float(value)
        except ValueError:
            raise ExportError(f"judge threshold {part.strip()!r}: {value.strip()!r} is not a number") from None
        if not 0 <= number <= 2:
            raise ExportError(f"judge threshold {part.strip()!r}: scores are 0 to 2")
        thresholds[judge_dimension(name)] = number
    return thresholds


@dataclass(frozen=True)
class ExportFilters:
    """What a figure must meet to be exported (see the module docstring)."""

    min_rinv: float | None = 1.0
    min_judge: Mapping[str, float] = field(default_factory=dict)
    exclude_blind_quizzes: bool = False

    def __post_init__(self) -> None:
        if self.min_rinv is not None and not (0.0 <= self.min_rinv <= 1.0):
            raise ExportError(f"min_rinv must be between 0 and 1, got {self.min_rinv}")
        object.__setattr__(self, "min_judge", {judge_dimension(k): float(v) for k, v in self.min_judge.items()})

    @property
    def needs_quizzes(self) -> bool:
        return self.min_rinv is not None and self.min_rinv > 0

    def describe(self) -> dict[str, Any]:
        return {
            "min_rinv": self.min_rinv,
            "min_judge": dict(self.min_judge),
            "exclude_blind_quizzes": self.exclude_blind_quizzes,
        }


# ---- selection ---------------------------------------------------------------------------------


class FigureCandidate(BaseModel):
    """One ok figure of the run with the numbers it was filtered on."""

    model_config = ConfigDict(frozen=True)

    uid: str
    subject: str
    image_type: str | None
    image_path: str = Field(description="Absolute path of the PNG.")
    n_quizzes: int = Field(description="Quizzes counted (after blind exclusion).")
    n_correct: int
    rinv: float | None = Field(description="n_correct / n_quizzes; None without quizzes or answers.")
    judge: dict[str, float | None] = Field(default_factory=dict, description="Mean score per dimension.")
    reasons: list[str] = Field(default_factory=list, description="Why it was rejected; empty = selected.")

    @property
    def selected(self) -> bool:
        return not self.reasons


@dataclass
class Selection:
    """The run's figures after filtering, with where the scores came from."""

    run: Run
    filters: ExportFilters
    candidates: list[FigureCandidate]
    problems: dict[str, Problem]
    quiz_source: str | None
    judge_source: str | None
    failed_figures: int
    blind_quizzes_excluded: int = 0

    @property
    def selected(self) -> list[FigureCandidate]:
        return [c for c in self.candidates if c.selected]

    def rejections(self) -> dict[str, int]:
        """First reason -> figures rejected for it."""
        return dict(Counter(c.reasons[0].split(" (")[0] for c in self.candidates if c.reasons))

    def counts(self) -> pd.DataFrame:
        """Selected figures per subject and image type. Columns: subject, image_type, figures."""
        rows = [(c.subject, c.image_type or "(untyped)") for c in self.selected]
        frame = pd.DataFrame(rows, columns=["subject", "image_type"])
        return (
            frame.value_counts().rename("figures").reset_index().sort_values(["subject", "image_type"])
            .reset_index(drop=True)
        )


def find_generation_run(store: Store, name: str) -> Run:
    run = store.find_run("generation", name)
    if run is None:
        by_id = store.get_run(name)
        run = by_id if by_id is not None and by_id.kind == "generation" else None
    if run is None:
        names = store.list_runs("generation")["name"].tolist()
        listing = ", ".join(repr(n) for n in names[:20]) if names else "none yet (make one with `scigen generate`)"
        raise ExportError(f"no generation run {name!r}; generation runs: {listing}")
    return run


def _mean_scores(judge: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    if judge.empty:
        return {}
    scores = judge.assign(score=pd.to_numeric(judge["score"], errors="coerce").astype("float64"))
    means = scores.groupby(["problem_uid", "dimension"])["score"].mean()
    out: dict[str, dict[str, float | None]] = {}
    for (uid, dimension), value in means.items():
        out.setdefault(str(uid), {})[str(dimension)] = None if math.isnan(value) else float(value)
    return out


def rejection_reasons(
    filters: ExportFilters,
    *,
    image_exists: bool,
    n_quizzes: int,
    had_quizzes: bool,
    answered: bool,
    n_correct: int,
    judge: Mapping[str, float | None],
) -> list[str]:
    """Why one ok figure fails ``filters`` (empty: it passes). ``n_quizzes`` counts the quizzes
    kept (blind-solvable ones excluded), ``had_quizzes`` whether the problem had any before that,
    ``answered`` whether the quizzes were answered at all, ``judge`` the mean score per dimension.
    The one rule both the store's export and the engine's filter stage apply."""
    reasons: list[str] = []
    if not image_exists:
        reasons.append("image file missing")
    if filters.needs_quizzes:
        if not n_quizzes:
            reasons.append("no quizzes to verify" + (" (all blind-solvable)" if had_quizzes else ""))
        elif not answered:
            reasons.append("not evaluated")
        elif n_correct / n_quizzes < filters.min_rinv - 1e-9:  # type: ignore[operator]  # needs_quizzes
            reasons.append(f"R_inv below {filters.min_rinv:g} ({n_correct}/{n_quizzes})")
    for dimension, minimum in filters.min_judge.items():
        value = judge.get(dimension)
        if value is None:
            reasons.append(f"{dimension} missing")
        elif value < minimum - 1e-9:
            reasons.append(f"{dimension} below {minimum:g} ({value:g})")
    return reasons


def select_figures(store: Store, workspace: Workspace, run_name: str, filters: ExportFilters) -> Selection:
    """The run's ok figures, each with its R_inv, judge means and rejection reasons."""
    run = find_generation_run(store, run_name)
    sources = store.evaluation_sources(run.run_id)
    quiz_rows = sources[sources["quiz_answers"] > 0]
    judge_rows = sources[sources["judge_scores"] > 0]
    quiz_source = str(quiz_rows["name"].iloc[0]) if len(quiz_rows) else None
    judge_source = str(judge_rows["name"].iloc[0]) if len(judge_rows) else None
    if filters.needs_quizzes and quiz_source is None:
        raise MissingEvaluationError(
            f"generation run {run.name!r} has no quiz answers to compute R_inv from (or pass min R_inv 0)",
            f"scigen evaluate --run {run.name} --vqa ocr",
        )
    if filters.min_judge and judge_source is None:
        raise MissingEvaluationError(
            f"generation run {run.name!r} has no judge scores for the judge thresholds",
            f"scigen evaluate --run {run.name} --judge PROFILE",
        )
    statuses = store.generation_statuses(run.run_id)
    figures = store.generations(run.run_id, status="ok")
    uids = figures["problem_uid"].astype(str).tolist()
    problems = {p.uid: p for p in store.get_problems(uids)}
    flagged: set[tuple[str, int]] = set()
    if filters.exclude_blind_quizzes and filters.needs_quizzes:
        if store.quiz_audits(problem_uids=uids).empty:
            raise MissingEvaluationError(
                f"no blind-solvability audit covers the quizzes of run {run.name!r}",
                "scigen quizzes audit --model PROFILE",
            )
        flagged = {key for key in store.flagged_quiz_keys() if key[0] in set(uids)}
    items = store.run_items(run.run_id)
    answers = items.quiz_answers if items is not None else pd.DataFrame()
    judge = _mean_scores(items.judge_scores if items is not None else pd.DataFrame())
    correct: dict[str, set[int]] = {}
    answered: set[str] = set()
    for row in answers.itertuples(index=False):
        uid = str(row.problem_uid)
        answered.add(uid)
        error = row.error_class if isinstance(row.error_class, str) else None
        if bool(row.correct) and not bool(row.abstained) and error is None:
            correct.setdefault(uid, set()).add(int(row.quiz_index))
    candidates: list[FigureCandidate] = []
    for uid, image_path in zip(uids, figures["image_path"], strict=True):
        problem = problems.get(uid)
        if problem is None:
            continue  # a figure of a problem deleted since; nothing to export it with
        kept = [i for i in range(len(problem.quizzes)) if (uid, i) not in flagged]
        n_correct = len(correct.get(uid, set()) & set(kept))
        rinv = n_correct / len(kept) if kept and uid in answered else None
        path = workspace.home / str(image_path) if isinstance(image_path, str) else None
        scores = judge.get(uid, {})
        reasons = rejection_reasons(
            filters, image_exists=path is not None and path.is_file(), n_quizzes=len(kept),
            had_quizzes=bool(problem.quizzes), answered=uid in answered, n_correct=n_correct, judge=scores,
        )
        candidates.append(
            FigureCandidate(
                uid=uid, subject=problem.subject.value, image_type=problem.image_type,
                image_path=str(path) if path else "", n_quizzes=len(kept), n_correct=n_correct, rinv=rinv,
                judge={name: scores.get(name) for name in JUDGE_NAMES if name in scores}, reasons=reasons,
            )
        )
    return Selection(
        run=run, filters=filters, candidates=candidates, problems=problems, quiz_source=quiz_source,
        judge_source=judge_source, failed_figures=sum(1 for s in statuses.values() if s != "ok"),
        blind_quizzes_excluded=len(flagged),
    )


# ---- records -----------------------------------------------------------------------------------


def build_records(selection: Selection) -> list[ExportRecord]:
    """Records of the selected figures, in problem-uid order."""
    run = selection.run
    spec = json.dumps({"name": run.spec_name, "params": run.spec_params}, sort_keys=True, ensure_ascii=False)
    records = []
    for candidate in sorted(selection.selected, key=lambda c: c.uid):
        problem = selection.problems[candidate.uid]
        prompt, prompt_source, masked = build_prompt(problem.question, problem.multimodal_question)
        records.append(
            ExportRecord(
                uid=candidate.uid, problem_id=problem.id, source=problem.source, subject=candidate.subject,
                image_type=candidate.image_type, image_path=candidate.image_path,
                image_name=f"{safe_name(candidate.uid)}.png", prompt=prompt, prompt_source=prompt_source,
                masked_values=list(masked), original_question=problem.question, answer=problem.answer,
                run=run.name, run_id=run.run_id, generator=run.spec_name, generator_spec=spec, model=run.model,
                quiz_evaluation=selection.quiz_source, judge_evaluation=selection.judge_source,
                rinv=candidate.rinv, n_quizzes=candidate.n_quizzes, judge=candidate.judge,
            )
        )
    return records


# ---- writers -----------------------------------------------------------------------------------


def _png_bytes(path: str) -> bytes:
    source = Path(path)
    if source.suffix.lower() == ".png":
        return source.read_bytes()
    import io

    buffer = io.BytesIO()
    with Image.open(source) as image:
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def _copy_images(records: Sequence[ExportRecord], out_dir: Path, progress: ProgressCallback | None) -> None:
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    for index, record in enumerate(records):
        (images / record.image_name).write_bytes(_png_bytes(record.image_path))
        if progress:
            progress("copying images", (index + 1) / max(len(records), 1))


def user_content(record: ExportRecord) -> str:
    return f"{IMAGE_PLACEHOLDER}{record.prompt}"


def write_verl(records: Sequence[ExportRecord], out_dir: Path, progress: ProgressCallback | None = None) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    judge_fields = [(name, pa.float64()) for name in JUDGE_NAMES]
    extra_type = pa.struct(
        [("split", pa.string()), ("index", pa.int64()), ("answer", pa.string()), ("question", pa.string()),
         ("uid", pa.string()), ("problem_id", pa.string()), ("source", pa.string()), ("subject", pa.string()),
         ("image_type", pa.string()), ("run", pa.string()), ("run_id", pa.string()), ("generator", pa.string()),
         ("generator_spec", pa.string()), ("model", pa.string()), ("quiz_evaluation", pa.string()),
         ("judge_evaluation", pa.string()), ("rinv", pa.float64()), ("n_quizzes", pa.int64()), *judge_fields,
         ("prompt_source", pa.string()), ("original_question", pa.string()), ("contaminated", pa.bool_())]
    )
    schema = pa.schema(
        [
            ("data_source", pa.string()),
            ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
            ("images", pa.list_(pa.struct([("bytes", pa.binary()), ("path", pa.string())]))),
            ("ability", pa.string()),
            ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
            ("extra_info", extra_type),
        ]
    )
    rows = []
    for index, record in enumerate(records):
        rows.append(
            {
                "data_source": f"{DATA_SOURCE}/{record.source}",
                "prompt": [{"role": "user", "content": user_content(record)}],
                "images": [{"bytes": _png_bytes(record.image_path), "path": record.image_name}],
                "ability": record.subject,
                "reward_model": {"style": "rule", "ground_truth": record.answer},
                "extra_info": {"split": "train", "index": index, "answer": record.answer, "question": record.prompt,
                               **record.provenance()},
            }
        )
        if progress:
            progress("encoding images", (index + 1) / max(len(records), 1))
    path = out_dir / "train.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return [path]


def write_sharegpt(
    records: Sequence[ExportRecord], out_dir: Path, progress: ProgressCallback | None = None
) -> list[Path]:
    _copy_images(records, out_dir, progress)
    items = [
        {
            "messages": [
                {"role": "user", "content": user_content(record)},
                {"role": "assistant", "content": record.answer},
            ],
            "images": [f"images/{record.image_name}"],
            **record.provenance(),
        }
        for record in records
    ]
    data = out_dir / "train.json"
    data.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    info = out_dir / "dataset_info.json"
    info.write_text(
        json.dumps(
            {
                "scigen_train": {
                    "file_name": "train.json", "formatting": "sharegpt",
                    "columns": {"messages": "messages", "images": "images"},
                    "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                             "assistant_tag": "assistant"},
                }
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return [data, info]


def write_hf(records: Sequence[ExportRecord], out_dir: Path, progress: ProgressCallback | None = None) -> list[Path]:
    _copy_images(records, out_dir, progress)
    lines = [
        json.dumps(
            {"file_name": f"images/{record.image_name}", "question": record.prompt, "answer": record.answer,
             **record.provenance()},
            ensure_ascii=False,
        )
        for record in records
    ]
    path = out_dir / "metadata.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return [path]


WRITERS: dict[str, Callable[[Sequence[ExportRecord], Path, ProgressCallback | None], list[Path]]] = {
    "verl": write_verl, "sharegpt": write_sharegpt, "hf": write_hf,
}


# ---- the whole export --------------------------------------------------------------------------


def _prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not overwrite:
            raise ExportError(f"{out_dir}: folder is not empty (choose another --out or pass --overwrite)")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def export_training_set(
    store: Store,
    workspace: Workspace,
    *,
    run_name: str,
    out_dir: str | Path,
    fmt: str,
    filters: ExportFilters | None = None,
    eval_split: str | None = None,
    dedup: bool = True,
    contamination_action: ContaminationAction = "exclude",
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
) -> ExportSummary:
    """Select, build records, dedupe, check contamination, write ``fmt`` and the card into ``out_dir``."""
    from core.export.card import render_card
    from core.export.contamination import check_contamination, load_eval_split
    from core.export.dedup import find_near_duplicates

    if fmt not in WRITERS:
        raise ExportError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    if contamination_action not in ("exclude", "flag"):
        raise ExportError(f"contamination action must be exclude or flag, not {contamination_action!r}")
    filters = filters or ExportFilters()
    out = Path(out_dir).expanduser().resolve()

    def report(step: str, fraction: float) -> None:
        if progress:
            progress(step, fraction)

    report("selecting figures", 0.0)
    selection = select_figures(store, workspace, run_name, filters)
    split = load_eval_split(eval_split, store) if eval_split else None  # read before writing anything
    _prepare_out_dir(out, overwrite)
    records = build_records(selection)
    duplicates: dict[str, str] = {}
    if dedup:
        report("removing near-duplicate images", 0.2)
        duplicates = find_near_duplicates((r.uid, r.image_path) for r in records)
        records = [r for r in records if r.uid not in duplicates]
    contamination: ContaminationReport | None = None
    if split is not None:
        report("checking contamination", 0.35)
        contamination = check_contamination(((r.uid, (r.original_question, r.prompt)) for r in records), split)
        hits = contamination.contaminated
        if contamination_action == "exclude":
            records = [r for r in records if r.uid not in hits]
        else:
            records = [r.model_copy(update={"contaminated": r.uid in hits}) for r in records]
    report("writing files", 0.5)
    files = WRITERS[fmt](records, out, lambda step, f: report(step, 0.5 + 0.45 * f))
    contaminated = {}
    if contamination is not None:
        contaminated = {uid: f"exact: {item}" for uid, item in contamination.exact.items()}
        contaminated |= {uid: f"{contamination.ngram[uid][1]:.2f} of 8-grams: {contamination.ngram[uid][0]}"
                         for uid in contamination.ngram}
    summary = ExportSummary(
        run=selection.run.name, format=fmt, out_dir=str(out),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"), filters=filters.describe(),
        quiz_evaluation=selection.quiz_source, judge_evaluation=selection.judge_source,
        figures_ok=len(selection.candidates), figures_failed=selection.failed_figures,
        passed_filters=len(selection.selected), rejected=selection.rejections(),
        blind_quizzes_excluded=selection.blind_quizzes_excluded, dedup=dedup, near_duplicates=duplicates,
        contamination=contamination.summary() if contamination else None, contaminated=contaminated,
        contamination_action=contamination_action, exported=len(records),
        prompt_sources=dict(Counter(r.prompt_source for r in records)),
        per_subject=dict(sorted(Counter(r.subject for r in records).items())),
        per_image_type=dict(sorted(Counter(r.image_type or "(untyped)" for r in records).items())),
        files=[],
    )
    card = out / "README.md"
    report_path = out / "export_report.json"
    names = sorted(str(p.relative_to(out)) for p in [*files, card, report_path])
    if any((out / "images").glob("*.png")):
        names.append("images/")
    summary = summary.model_copy(update={"files": names})
    card.write_text(render_card(summary, records), encoding="utf-8")
    report_path.write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    report("done", 1.0)
    return summary
