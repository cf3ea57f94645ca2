"""Evaluation protocols: what makes two aggregates comparable.

A protocol names the problem set (source, count, a fingerprint of the problem ids), the quiz set
(the quizzes only, or the quizzes plus the open multimodal question), the answerer (model, prompt
version, temperature, option shuffling), the judge model(s) and the missing-image rule. Two numbers
are ranked against each other only when their protocols are the same record (same
:attr:`Protocol.protocol_id`).

An evaluation run's protocol is built from the problems it covered and what its evaluator declares
(:meth:`core.evaluation.base.Evaluator.protocol_part`); a leaderboard row that shows numbers of
several evaluation runs (quiz answers from one, judge scores from another) has the parts merged
(:func:`merge_protocols`). The paper's rows carry :func:`official_protocol` ("scigen"), and so do
results imported from the official SciGenBench code (``scigen import-official``).

A module with no project imports: the store, the evaluators and the importer all read it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

QuizSet = Literal["quizzes", "quizzes+open_question"]
MissingImageRule = Literal["counted_failed", "left_out"]

QUIZ_SET_LABELS: dict[str, str] = {
    "quizzes": "quizzes only",
    "quizzes+open_question": "quizzes + open multimodal question",
}
MISSING_IMAGE_LABELS: dict[str, str] = {
    "counted_failed": "missing images count as failed",
    "left_out": "missing images left out",
}
PART_FIELDS: tuple[str, ...] = ("quiz_set", "answerer", "judges", "missing_image_rule")
"""What an evaluator may contribute to a protocol (the problem set comes from the run)."""

OFFICIAL_ANSWERER_MODEL = "gemini-3-flash-preview"
"""``MODEL_NAME`` of the official SciGenBench quiz, open-question and judge scripts."""
OFFICIAL_DATASETS: tuple[str, ...] = ("scigen", "seephys")


class ProblemSet(BaseModel):
    """Which problems were evaluated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1, description="Problem source(s), e.g. 'scigen', 'sample', 'scigen+seephys'.")
    count: int | None = Field(default=None, ge=0, description="Problems covered; None for a published set.")
    fingerprint: str | None = Field(
        default=None, description="sha256 (16 hex) of the sorted problem uids; None for a published set."
    )


class Answerer(BaseModel):
    """Who answered the quizzes from the image, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(min_length=1, description="Model string, or an offline answerer's name ('ocr').")
    prompt: str | None = Field(default=None, description="Prompt id with version, e.g. vqa_answer@v1.")
    temperature: float | None = Field(default=None, description="Sampling temperature; None = provider default.")
    shuffle: bool = Field(default=False, description="Options shown in a shuffled order.")


class Protocol(BaseModel):
    """One evaluation protocol; its identity is :attr:`protocol_id` (``name`` is for people only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="", description="A label for people; not part of the identity.")
    problem_set: ProblemSet | None = None
    quiz_set: QuizSet | None = Field(default=None, description="Questions behind R_inv; None without quizzes.")
    answerer: Answerer | None = None
    judges: tuple[str, ...] = Field(default=(), description="Judge models, sorted.")
    missing_image_rule: MissingImageRule | None = Field(
        default=None, description="How images without a figure count in R_inv."
    )
    mixed_of: tuple[str, ...] = Field(
        default=(), description="Protocol ids whose parts conflict (a row merging incomparable runs)."
    )

    def definition(self) -> dict[str, Any]:
        """Everything that identifies the protocol, JSON-ready."""
        return self.model_dump(mode="json", exclude={"name"})

    @property
    def protocol_id(self) -> str:
        text = json.dumps(self.definition(), sort_keys=True, ensure_ascii=False)
        return "p-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    @property
    def label(self) -> str:
        return self.name or self.describe()

    def describe(self) -> str:
        """One line: problem set; quiz set; answerer; judges; missing-image rule."""
        if self.mixed_of:
            return f"mixed: numbers from incomparable evaluations ({', '.join(self.mixed_of)})"
        parts = []
        if self.problem_set is not None:
            count = f"{self.problem_set.count} problems" if self.problem_set.count is not None else "as published"
            parts.append(f"{self.problem_set.source} ({count})")
        if self.quiz_set:
            parts.append(QUIZ_SET_LABELS[self.quiz_set])
        if self.answerer is not None:
            answerer = self.answerer.model
            details = [d for d in (
                self.answerer.prompt,
                None if self.answerer.temperature is None else f"T={self.answerer.temperature:g}",
                "shuffled" if self.answerer.shuffle else None,
            ) if d]
            parts.append(f"answered by {answerer}" + (f" ({', '.join(details)})" if details else ""))
        if self.judges:
            parts.append(f"judged by {', '.join(self.judges)}")
        if self.missing_image_rule:
            parts.append(MISSING_IMAGE_LABELS[self.missing_image_rule])
        return "; ".join(parts) or "no protocol facts"


def problem_set_of(problem_uids: Iterable[str]) -> ProblemSet:
    """The problem set of some problem uids ('source:id'): sources joined by '+', count, fingerprint."""
    uids = sorted(set(problem_uids))
    sources = sorted({uid.split(":", 1)[0] for uid in uids}) or ["none"]
    digest = hashlib.sha256("\n".join(uids).encode("utf-8")).hexdigest()[:16]
    return ProblemSet(source="+".join(sources), count=len(uids), fingerprint=digest)


def build_protocol(problem_uids: Iterable[str], part: Mapping[str, Any], *, name: str = "") -> Protocol:
    """An evaluation run's protocol: the problems it covered plus its evaluator's declared ``part``
    (keys among :data:`PART_FIELDS`). Raises ValueError for an unknown key."""
    unknown = sorted(set(part) - set(PART_FIELDS))
    if unknown:
        raise ValueError(f"protocol part has unknown field(s) {unknown}; known: {', '.join(PART_FIELDS)}")
    values = dict(part)
    if "judges" in values:
        values["judges"] = tuple(sorted(set(values["judges"])))
    return Protocol(name=name, problem_set=problem_set_of(problem_uids), **values)


def merge_protocols(protocols: Iterable[Protocol]) -> Protocol | None:
    """One protocol for numbers drawn from several evaluation runs of one figure set: each field
    from whichever run sets it (judges joined). When two runs set a field differently the result is
    a 'mixed' protocol of those ids, which matches nothing else. None for no protocol at all."""
    unique = {p.protocol_id: p for p in protocols}
    if not unique:
        return None
    if len(unique) == 1:
        return next(iter(unique.values()))
    merged: dict[str, Any] = {}
    judges: set[str] = set()
    for protocol in unique.values():
        if protocol.mixed_of:
            return Protocol(mixed_of=tuple(sorted(unique)))
        judges.update(protocol.judges)
        for field in ("problem_set", "quiz_set", "answerer", "missing_image_rule"):
            value = getattr(protocol, field)
            if value is None:
                continue
            if field in merged and merged[field] != value:
                return Protocol(mixed_of=tuple(sorted(unique)))
            merged[field] = value
    names = {p.name for p in unique.values() if p.name}
    return Protocol(name=names.pop() if len(names) == 1 else "", judges=tuple(sorted(judges)), **merged)


def official_protocol(dataset: str = "scigen") -> Protocol:
    """The protocol of the official SciGenBench scoring (the paper's numbers) on one dataset: the
    published problem set, Gemini-3-Flash answering without shuffling at temperature 0 (and
    judging), missing images left out; on scigen the open multimodal question joins the quizzes."""
    if dataset not in OFFICIAL_DATASETS:
        raise ValueError(f"unknown official dataset {dataset!r}; known: {', '.join(OFFICIAL_DATASETS)}")
    return Protocol(
        name=f"SciGenBench paper ({dataset})",
        problem_set=ProblemSet(source=f"SciGenBench {dataset}"),
        quiz_set="quizzes+open_question" if dataset == "scigen" else "quizzes",
        answerer=Answerer(model=OFFICIAL_ANSWERER_MODEL, prompt="SciGenBench official", temperature=0.0),
        judges=(OFFICIAL_ANSWERER_MODEL,),
        missing_image_rule="left_out",
    )


PAPER_PROTOCOL = official_protocol("scigen")
"""The protocol of the paper's reported rows."""


def protocol_from_json(text: str, name: str = "") -> Protocol:
    """A protocol from its stored definition (``Protocol.definition()`` as JSON)."""
    return Protocol(name=name, **json.loads(text))
