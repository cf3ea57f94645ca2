"""Records for problems and their quizzes (pydantic: they cross the store and CLI boundaries)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.problems.taxonomy import Subject, subject_of

Source = Literal["scigen", "seephys", "custom"]
SOURCES: tuple[str, ...] = ("scigen", "seephys", "custom")


class Quiz(BaseModel):
    """One atomic multiple-choice visual question about a problem's figure."""

    model_config = ConfigDict(frozen=True)

    question: str = Field(description="The quiz question, answerable from the figure alone.")
    options: dict[str, str] = Field(
        description="Option key -> option text. Keys are normally A-D; the importer normalises others."
    )
    correct_option: str = Field(description="The key in `options` of the correct answer.")
    evidence_snippet: str = Field(
        default="", description="The span of the problem text that the quiz checks."
    )

    @model_validator(mode="after")
    def _correct_is_an_option(self) -> Quiz:
        if self.correct_option not in self.options:
            raise ValueError(
                f"correct_option {self.correct_option!r} is not among the option keys {sorted(self.options)}"
            )
        return self


class Problem(BaseModel):
    """A text problem whose figure is to be drawn, with what a correct figure must show."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The id in its source; SeePhys integer ids become strings.")
    source: Source = Field(description="Where the problem comes from: scigen, seephys or custom.")
    question: str = Field(description="The problem text, stored raw (WebInstruct markup kept).")
    subject: Subject = Field(description="One of the 5 subjects.")
    image_type: str | None = Field(
        default=None, description="One of the 25 image types; None for untyped (SeePhys) items."
    )
    answer: str = Field(default="", description="The final answer; never shown to generators.")
    elements: list[str] = Field(default_factory=list, description="Atomic visual facts a figure must show.")
    quizzes: list[Quiz] = Field(default_factory=list, description="Visual quizzes for inverse validation.")
    multimodal_question: str | None = Field(
        default=None, description="The question rewritten so given values must be read from the figure."
    )
    reference_image: str | None = Field(
        default=None, description="Path of the ground-truth figure, when the source has one."
    )
    reference_code: str | None = Field(
        default=None,
        description="A gold Matplotlib script drawing the correct initial figure (bundled sample).",
    )

    @property
    def uid(self) -> str:
        """Key unique across sources (ids of different sources may collide)."""
        return f"{self.source}:{self.id}"

    @model_validator(mode="after")
    def _type_matches_subject(self) -> Problem:
        if self.image_type is not None and subject_of(self.image_type) != self.subject:
            raise ValueError(
                f"image_type {self.image_type!r} belongs to {subject_of(self.image_type).value}, not {self.subject.value}"
            )
        return self


def split_uid(uid: str) -> tuple[str, str]:
    """``"seephys:5"`` -> ``("seephys", "5")``."""
    source, _, pid = uid.partition(":")
    return source, pid
